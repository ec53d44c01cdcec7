"""The few statuses Swift uses that core does not name."""

from __future__ import annotations

from onestack.core.errors import ApiError


class LengthRequired(ApiError):
    status, title = 411, "Length Required"


class PreconditionFailed(ApiError):
    status, title = 412, "Precondition Failed"


class RangeNotSatisfiable(ApiError):
    status, title = 416, "Requested Range Not Satisfiable"


class Unprocessable(ApiError):
    status, title = 422, "Unprocessable Entity"


class NotModified(ApiError):
    status, title = 304, "Not Modified"
