"""Forms that edit the knowledge base by hand (the admin), keeping the models' invariants."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import InlineForeignKeyField

from kb.models import Citation

OFFSET_FIELDS = {"start", "end"}


class CitationForm(forms.ModelForm):
    """A citation is typed as its quote; its offsets are never typed, they are found.

    `Citation.full_clean()` fills `start`/`end` from the quote's first occurrence in the evidence
    part of the source, or names the problem on the quote field. A ModelForm leaves fields it
    does not show out of constraint validation, so once the offsets are known the offset
    constraints (`kb_citation_offsets_*`) are checked here explicitly, as a form error rather
    than an IntegrityError at save.
    """

    class Meta:
        model = Citation
        exclude = sorted(OFFSET_FIELDS)  # noqa: DJ006  (every other field: the inlines choose theirs)
        widgets = {"quote": forms.Textarea(attrs={"rows": 3, "cols": 60})}

    def _post_clean(self):
        super()._post_clean()
        if self._errors or self.instance.start is None:
            return
        # The offsets are not form fields, so the form left the constraints on them unchecked;
        # now that the quote has placed them, check those too (the inline's own fact excepted,
        # as it is attached only when saved).
        inline_facts = {name for name, field in self.fields.items() if isinstance(field, InlineForeignKeyField)}
        try:
            self.instance.validate_constraints(
                exclude=(self._get_validation_exclusions() - OFFSET_FIELDS) | inline_facts
            )
        except ValidationError as error:
            self._update_errors(error)
