"""My data: download everything the dashboard holds about the member, or delete the account."""

import streamlit as st

from dashboard import clock
from dashboard.config import settings
from dashboard.my_data import DELETE_CONFIRMATION, delete_account, export_member_data
from dashboard.timeutil import local_today
from dashboard.web.database import transaction
from dashboard.web.forms import submit
from dashboard.web.session import end_session, require_role

# What the download holds, in words: (one, many) per table beyond the account itself.
CONTENTS = {
    "checkins": ("check-in", "check-ins"), "steps": ("step", "steps"),
    "sobriety_date_history": ("sobriety date change", "sobriety date changes"),
    "consents": ("consent", "consents"), "flags": ("flag", "flags"),
    "audit_events": ("record of access or account activity",
                     "records of access and account activity"),
}

actor = require_role("member")
now = clock.now()
st.title("My data", anchor=False)

st.header("Download my data", anchor=False)
st.write(
    "One download holds everything the dashboard keeps about you: your account and profile, "
    "sobriety dates, every check-in with your notes, your steps, the consents you gave, "
    "flags, and the record of who viewed your data and when. It comes as one JSON file, "
    "and as CSV files in a zip for a spreadsheet."
)
if st.button("Prepare my download", type="primary", icon=":material/download:"):
    with st.spinner("Gathering your data..."), transaction() as session:
        export = export_member_data(session=session, actor=actor, now=now)
    counts = export.counts()
    st.success("Your data is ready: "
               + ", ".join(f"{counts[name]:,} {one if counts[name] == 1 else many}"
                           for name, (one, many) in CONTENTS.items())
               + ". Keep the files somewhere private: they hold your notes.")
    stamp = local_today(actor.timezone, export.exported_at).isoformat()
    buttons = st.container(horizontal=True)
    # No rerun on click: both buttons stay until the member moves on.
    buttons.download_button("Download JSON", data=export.to_json(),
                             file_name=f"my-recovery-data-{stamp}.json",
                             mime="application/json", on_click="ignore",
                             icon=":material/data_object:")
    buttons.download_button("Download CSV files (zip)", data=export.to_csv_zip(),
                            file_name=f"my-recovery-data-{stamp}.zip",
                            mime="application/zip", on_click="ignore",
                            icon=":material/folder_zip:")

st.divider()
st.header("Delete my account", anchor=False)
st.write(
    "This erases your account and everything in it: check-ins, notes, steps, sobriety "
    "dates, flags and consents. Everyone you share with loses access at once. What stays is "
    "the record of who accessed your data, by account number only, without your name or "
    "anything you wrote. **This cannot be undone**, so download your data first if you may "
    "want it."
)
with st.form("delete_account", border=True, clear_on_submit=False):
    confirmation = st.text_input(f'Type "{DELETE_CONFIRMATION}" to confirm', max_chars=64,
                                 autocomplete="off",
                                 help="The three words, as written here: this makes sure "
                                      "nothing is deleted by accident.")
    confirmation_slot = st.empty()
    password = st.text_input("Password", type="password", max_chars=128,
                             autocomplete="current-password",
                             help="Your current password, to be sure it is you.")
    password_slot = st.empty()
    delete = st.form_submit_button("Delete my account permanently",
                                   icon=":material/delete_forever:")

if delete:
    submit(lambda session: delete_account(session=session, actor=actor,
                                          confirmation=confirmation, password=password,
                                          settings=settings(), now=now),
           errors={"confirmation": confirmation_slot, "password": password_slot},
           then=lambda _: end_session("account deleted", notice=(
               "Your account and your records are deleted. Thank you for the work you did "
               "here; we wish you well.")))
