"""The intake form's field types and validators: every field accepts full-width input and is
normalised (NFKC); each error names the field and says how to fix it (intake/forms.py uses them)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from intake import normalise as n
from proposals.visibility import Audience, field_kw


class ParsedField(StringField):
    """A text field whose value is parsed forgivingly. What the person typed
    is shown back unchanged; `data` holds the parsed value after validation."""

    def __init__(self, label=None, validators=None, *, parser, message, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.parser = parser
        self.message = message
        self.raw = None

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.data = self.raw

    def _value(self):
        if self.raw is not None:
            return self.raw
        return "" if self.data is None else str(self.data)

    def pre_validate(self, form):
        try:
            self.data = self.parser(self.raw if self.raw is not None else self.data)
        except (ValueError, TypeError) as error:
            self.data = None
            message = self.message
            if isinstance(message, dict):  # a message per kind of mistake
                message = message.get(error.args[0] if error.args else None, message[None])
            raise StopValidation(str(message)) from error


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        # Unknown codes (a stale page, a retired theme) are dropped, not an error.
        known = {str(value) for value, *_ in self.choices or []}
        self.data = [value for value in (self.data or []) if value in known]


class Required:
    """Required, with a message naming the field; sets the 必須 mark."""

    field_flags = {"required": True}

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        value = field.data
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            field.errors[:] = []
            raise StopValidation(str(self.message))


class LengthMessage(Length):
    """Length with the current length in the message."""

    def __call__(self, form, field):
        length = len(field.data or "")
        if self.max != -1 and length > self.max:
            raise ValidationError(str(_l("%(label)sは%(max)d文字以内で入力してください（今は%(length)d文字です）。",
                                         label=field.label.text, max=self.max, length=length)))


class AtMost:
    """An upper bound for a parsed number, so it fits its column; the message
    names the field and the largest value (placeholders %(label)s, %(max)s)."""

    def __init__(self, maximum: int, message):
        self.maximum = maximum
        self.message = message

    def __call__(self, form, field):
        if isinstance(field.data, int) and field.data > self.maximum:
            raise StopValidation(str(self.message) % {"label": field.label.text, "max": f"{self.maximum:,}"})


# Upper bounds: far above any real proposal, well inside the columns
# (organisations.member_count is a 32-bit INTEGER, the budgets are BIGINT).
MAX_MEMBERS = 10_000_000
MAX_YEN = 1_000_000_000_000  # 1兆円


def text_field(label, max_length, *, audience: Audience, required=None, multiline=False, description=None, **kwargs):
    """A free-text field; `audience` (proposals.visibility) is shown under its label: who will read it."""
    validators = [Required(required)] if required else []
    validators.append(LengthMessage(max=max_length))
    cls = TextAreaField if multiline else StringField
    render_kw = {"rows": 6} if multiline else {}
    kwargs["render_kw"] = {**render_kw, **kwargs.get("render_kw", {}), **field_kw(audience, writer="applicant")}
    return cls(label, validators=validators, filters=[n.nfkc if multiline else n.one_line],
               description=description, **kwargs)
