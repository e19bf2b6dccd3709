"""Messages for people: short strings built from errors.

Kept apart from the database code so that callers who only word a message
(the Redis frontier, its scheduler) need not load SQLAlchemy to do it; this
module imports nothing.
"""


def one_line(error: object) -> str:
    """An error message on one line: drivers' messages span several."""
    return " ".join(str(error).split())
