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
        unsaved_fact = self._unsaved_inline_fact()
        if unsaved_fact:
            # A citation added together with its fact (the fact's add form) has no fact id until
            # the fact is saved; the formset attaches it then. Citation.clean() counts cited facts
            # by id, so a placeholder id stands in during validation.
            del self.cleaned_data[unsaved_fact]
            setattr(self.instance, f"{unsaved_fact}_id", 0)
        try:
            super()._post_clean()
        finally:
            if unsaved_fact:
                setattr(self.instance, f"{unsaved_fact}_id", None)
        if self._errors or self.instance.start is None:
            return
        inline_facts = {name for name, field in self.fields.items() if isinstance(field, InlineForeignKeyField)}
        try:
            self.instance.validate_constraints(exclude=(self._get_validation_exclusions() - OFFSET_FIELDS) | inline_facts)
        except ValidationError as error:
            self._update_errors(error)

    def _unsaved_inline_fact(self):
        """The field of the fact an inline formset attaches this citation to, when that fact is not saved yet."""
        return next(
            (
                name
                for name, field in self.fields.items()
                if isinstance(field, InlineForeignKeyField) and field.parent_instance.pk is None and name in self.cleaned_data
            ),
            None,
        )
