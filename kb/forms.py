"""Forms that edit the knowledge base by hand (the admin), keeping the models' invariants."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import InlineForeignKeyField

from kb.models import Citation

OFFSET_FIELDS = {"start", "end"}


class CitationForm(forms.ModelForm):
    """A citation is typed as its quote; its offsets are never typed, they are found.

    `Citation.clean()` fills `start`/`end` from the quote's first occurrence in the evidence
    part of the source, or names the problem on the quote field. A ModelForm leaves fields it
    does not show out of constraint validation, so once the offsets are known the offset
    constraints (`kb_citation_offsets_*`) are checked here explicitly, as a form error rather
    than an IntegrityError at save.
    """

    class Meta:
        model = Citation
        exclude = sorted(OFFSET_FIELDS)
        widgets = {"quote": forms.Textarea(attrs={"rows": 3, "cols": 60})}

    def _post_clean(self):
        inline_fact = self._inline_fact_field()
        unsaved_fact = inline_fact and getattr(self.instance, f"{inline_fact}_id") is None
        if unsaved_fact:
            # A citation added with the fact it backs (the fact's own add form) has no fact id
            # until the fact is saved, yet the formset attaches it to that fact on save.
            # Citation.clean() counts cited facts by id, so stand in a placeholder meanwhile.
            setattr(self.instance, f"{inline_fact}_id", 0)
        try:
            super()._post_clean()
        finally:
            if unsaved_fact:
                setattr(self.instance, f"{inline_fact}_id", None)
        if self.instance.start is None or self.instance.end is None or self.has_error("quote"):
            return
        exclude = (self._get_validation_exclusions() - OFFSET_FIELDS) | ({inline_fact} if inline_fact else set())
        try:
            self.instance.validate_constraints(exclude=exclude)
        except ValidationError as error:
            self._update_errors(error)

    def _inline_fact_field(self):
        """The fact an inline formset attaches this citation to, if the form is in one."""
        return next((name for name, field in self.fields.items() if isinstance(field, InlineForeignKeyField)), None)
