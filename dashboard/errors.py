from __future__ import annotations


class ValidationError(ValueError):
    """Bad input from a person: carries one plain message per field, nothing was written."""

    def __init__(self, errors: dict[str, str] | str):
        if isinstance(errors, str):
            errors = {"": errors}
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))

    def for_field(self, field: str) -> str | None:
        return self.errors.get(field)


class NotFound(LookupError):
    """Nothing to show: the record does not exist, or the actor may not see it.

    The two cases are answered the same way on purpose, so a viewer can never
    tell a member who did not consent from one who does not exist.
    """

    def __init__(self, message: str = "No such member is shared with you."):
        super().__init__(message)


class PermissionDenied(PermissionError):
    """The actor's role does not allow this action."""

    def __init__(self, message: str = "Your account does not have access to this."):
        super().__init__(message)
