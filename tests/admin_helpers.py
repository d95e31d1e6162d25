"""Post an admin change form as a browser would: every field and inline row as the page shows it."""

from django.urls import reverse


def _post_value(value):
    if value is True:
        return "on"
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    return "" if value is None else str(value)


def change_form_data(client, url):
    """The data a browser would post from the change form at `url`, unchanged."""
    page = client.get(url)
    assert page.status_code == 200, page.content[:500]
    data = {}
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({f"{management.prefix}-{name}": value for name, value in management.initial.items()})
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is False:
                continue  # an unticked box is not posted
            data[form.add_prefix(name)] = _post_value(value)
    return data


def change_url(record):
    return reverse(f"admin:{record._meta.app_label}_{record._meta.model_name}_change", args=[record.pk])
