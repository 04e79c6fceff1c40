"""The words shared by every screen."""

from dashboard.labels import told_apart


def test_labels_that_read_alike_are_numbered_in_order_and_the_others_kept():
    assert told_apart({1: "Ana A.", 2: "Ben B.", 3: "Ana A.", 4: "Ana A."}) == {
        1: "Ana A.", 2: "Ben B.", 3: "Ana A. (2)", 4: "Ana A. (3)"}


def test_a_number_never_makes_a_label_that_already_reads_so():
    apart = told_apart({1: "Ana (2)", 2: "Ana", 3: "Ana"})
    assert apart == {1: "Ana (2)", 2: "Ana", 3: "Ana (3)"}
    assert len(set(apart.values())) == 3
