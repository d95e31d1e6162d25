"""Forms that edit the knowledge base by hand (the admin), keeping the models' invariants."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import connections
from django.forms.models import BaseInlineFormSet, InlineForeignKeyField

from kb import documents
from kb.integrity import source_for_citing
from kb.models import Citation, Source, SourcePart

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

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("source") is not None:
            # The source as it is now, locked against a change of its text until the save commits
            # (the admin's views are atomic): the quote is found in the text that will be there.
            cleaned["source"] = source_for_citing(cleaned["source"].pk) or cleaned["source"]
        return cleaned

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


class RefusesStaleSaves:
    """A change form that will not save over a change made since it was opened.

    The form carries the record's version when it was opened (a hidden `opened_version`). On
    save, the record is locked and its version compared: if someone (a curator, the API,
    load_kb) changed it meanwhile, the save is refused with what changed, who changed it and
    when, and the person's values stay in the form. The refusal moves the hidden version on to the
    current one, so saving again, knowingly, replaces the other change. A post without the
    field (a script) is not checked.
    """

    VERSION_FIELD = "opened_version"

    @classmethod
    def for_form(cls, form_class):
        """`form_class` with the guard and its hidden field."""
        field = forms.IntegerField(widget=forms.HiddenInput, required=False)
        return type(form_class.__name__, (cls, form_class), {cls.VERSION_FIELD: field})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and not self.is_bound:
            # The database's version, not the instance's: the history's revert form shows an old one.
            self.fields[self.VERSION_FIELD].initial = self._current_version(lock=False)

    def _current_version(self, lock):
        rows = type(self.instance)._base_manager.filter(pk=self.instance.pk)
        if lock and connections[rows.db].in_atomic_block:
            rows = rows.select_for_update()
        return rows.values_list("version", flat=True).first()

    def clean(self):
        cleaned = super().clean()
        opened = cleaned.get(self.VERSION_FIELD)
        if opened is None or self.instance.pk is None:
            return cleaned
        current = self._current_version(lock=True)
        if current is None or current == opened:
            return cleaned
        self.data = self.data.copy()
        self.data[self.add_prefix(self.VERSION_FIELD)] = str(current)
        raise ValidationError(what_changed_since(self.instance, opened), code="stale")


def what_changed_since(record, version):
    """A person's account of the changes to `record` after `version`, from its history."""
    name = record._meta.verbose_name
    history = record.history.all()
    then = history.filter(version__lte=version).order_by("-version", "-history_date", "-history_id").first()
    since = list(history.filter(version__gt=version).order_by("history_date", "history_id"))
    now = history.order_by("-history_date", "-history_id").first()
    who = []
    for row in since:
        author = str(row.history_user) if row.history_user_id else (row.history_change_reason or "a script")
        if author not in who:
            who.append(author)
    when = f" at {since[-1].history_date:%Y-%m-%d %H:%M} UTC" if since else ""
    by = f" by {', '.join(who)}{when}" if who else ""
    changes = []
    if then is not None and now is not None and now.history_id != then.history_id:
        for change in now.diff_against(then, excluded_fields=["version"], foreign_keys_are_objs=True).changes:
            label = record._meta.get_field(change.field).verbose_name
            changes.append(f"{label} (“{_short(change.old)}” → “{_short(change.new)}”)")
    what = ", ".join(changes) if changes else "its citations, other names or other parts"
    return (
        f"Not saved: this {name} was changed{by} since you opened this page: {what}. Your values are still "
        "in the form below. To replace that change with them, save again; to start from the current values, "
        "reload the page."
    )


def _short(value):
    text = "" if value is None else str(value)
    return text if len(text) <= 60 else f"{text[:59]}…"


class SourceAddForm(forms.ModelForm):
    """A new document: its text pasted, or its .txt file uploaded (UTF-8; other encodings and binary
    files are refused with the reason). The file's name becomes `file_name` when none is given, and
    `<slug>.txt` when the text is pasted. Line ends are stored as "\\n", as the build reads files."""

    document_file = forms.FileField(
        required=False,
        label="Document file",
        help_text="Upload the document as a UTF-8 text file (.txt), or paste its text below. Its name becomes the "
        "file name when none is given.",
    )

    class Meta:
        model = Source
        fields = "__all__"  # noqa: DJ007  (the admin's get_fields chooses which are shown)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "text" in self.fields:
            self.fields["text"] = forms.CharField(
                required=False,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 12, "cols": 80}),
                label="Text",
                help_text="The document's full text, exactly; or upload its file above.",
            )
        if "file_name" in self.fields:
            self.fields["file_name"].required = False
            self.fields["file_name"].help_text = (
                "The document's file in the knowledge base's documents folder (export_kb writes it there). "
                "Default: the uploaded file's name, or <slug>.txt."
            )

    def clean(self):
        cleaned = super().clean()
        upload, text = cleaned.get("document_file"), cleaned.get("text")
        if upload and text:
            self.add_error("document_file", "Upload the document's file or paste its text, not both.")
        elif upload:
            name = documents.file_name_of_upload(upload.name)
            try:
                if not name.lower().endswith(documents.DOCUMENT_SUFFIX):
                    raise ValidationError(f"Upload a .txt file (UTF-8 text), not {name[:80]!r}.")
                if upload.size > documents.MAX_DOCUMENT_BYTES:
                    raise ValidationError(
                        f"The file is {upload.size:,} bytes; at most {documents.MAX_DOCUMENT_BYTES:,}."
                    )
                cleaned["text"] = documents.decode_document(upload.read())
            except ValidationError as error:
                self.add_error("document_file", error)
            else:
                cleaned.setdefault("file_name", "")
                cleaned["file_name"] = cleaned["file_name"] or name
        elif text:
            cleaned["text"] = documents.normalize_text(text)
            try:
                documents.check_text(cleaned["text"])
            except ValidationError as error:
                self.add_error("text", error)
        elif "document_file" not in self.errors:
            self.add_error("text", "Paste the document's text, or upload its file.")
        if not cleaned.get("file_name") and cleaned.get("slug"):
            cleaned["file_name"] = documents.default_file_name(cleaned["slug"])
        if cleaned.get("file_name"):
            try:
                documents.check_file_name(cleaned["file_name"])
            except ValidationError as error:
                self.add_error("file_name", error)
        if cleaned.get("published_earliest") and not cleaned.get("published_text"):
            self.add_error("published_text", "A dated source gives the words of its text that date it.")
        return cleaned


class LocatedPartForm(forms.ModelForm):
    """A part of a new document that is not the publisher's, located by its text: the part's exact
    text, or (with "to the end") where it starts, as reader comments under a heading."""

    located_by = forms.CharField(
        strip=False,
        label="Its text, or where it starts",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
        help_text="The part's exact text; or, with “to the end”, the words it starts with.",
    )
    to_the_end = forms.BooleanField(required=False, label="To the end", help_text="It runs to the end of the text.")
    occurrence = forms.IntegerField(
        required=False, min_value=1, help_text="Which occurrence of these words (default: the first)."
    )

    class Meta:
        model = SourcePart
        fields = ("kind", "author", "note")

    def __init__(self, *args, document=None, **kwargs):
        self.document = document
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        text = getattr(self.document, "text", "") or ""
        words = cleaned.get("located_by")
        if not text or not words:
            return cleaned  # the source's own form says what its text lacks
        to_the_end = cleaned.get("to_the_end")
        try:
            start, end = documents.locate_part(
                text, None if to_the_end else words, words if to_the_end else None, cleaned.get("occurrence")
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error("occurrence" if field == "occurrence" else "located_by", messages)
            return cleaned
        self.instance.start, self.instance.end = start, end
        return cleaned


class LocatedPartFormSet(BaseInlineFormSet):
    """The parts of a new document, each located in the text its form was given."""

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "document": self.instance}

    def clean(self):
        super().clean()
        located = [
            form.instance
            for form in self.forms
            if form.has_changed() and not form.errors and not self._should_delete_form(form)
        ]
        starts = [part.start for part in located if part.start is not None]
        if len(set(starts)) != len(starts):
            raise ValidationError("Two parts start at the same place: give each span once.")
        words = getattr(self.instance, "published_text", "")
        text = getattr(self.instance, "text", "") or ""
        if words and text and words in text:
            position = text.find(words)
            while position >= 0 and any(p.start < position + len(words) and position < p.end for p in located):
                position = text.find(words, position + 1)
            if position < 0:
                raise ValidationError(
                    f"The words that date the source ({words!r}) lie only in a part that is not the publisher's: "
                    "the publisher's own text must date it."
                )
