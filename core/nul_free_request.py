"""The request class of the app: submitted text loses NUL characters before
any view or form sees it. PostgreSQL refuses NUL in text (psycopg raises
before the query runs), so one stray byte pasted into any field of any room
would otherwise be a 500; nobody types NUL on purpose."""

from __future__ import annotations

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict


def _without_nul(data: ImmutableMultiDict) -> ImmutableMultiDict:
    if not any("\x00" in key or "\x00" in value for key, value in data.items(multi=True)):
        return data
    return ImmutableMultiDict([(key.replace("\x00", ""), value.replace("\x00", ""))
                               for key, value in data.items(multi=True)])


class CityRequest(Request):
    def _load_form_data(self) -> None:
        super()._load_form_data()
        self.__dict__["form"] = _without_nul(self.__dict__["form"])

    @property
    def args(self) -> ImmutableMultiDict:  # type: ignore[override]
        if "_clean_args" not in self.__dict__:
            self.__dict__["_clean_args"] = _without_nul(super().args)
        return self.__dict__["_clean_args"]
