"""The read path of a page of positions: rows, not model instances.

A page of 100 positions with their holders and about 200 citations would otherwise build some
900 model instances and a queryset per position for the prefetch, which costs more than the
queries themselves. Here the page is one `values()` query joined to its holders, the citations
one more, and the JSON is built from the rows: the same document PositionSerializer writes
(tests check both agree). The API's lists and timelines use it, and so does the benchmark's floor.
"""

from django.db.models import F

from kb.models import Citation

POSITION_FIELDS = ("slug", "stance", "date", "date_precision", "date_basis", "date_text", "summary", "note")
HOLDERS = ("program", "official", "jurisdiction", "organization")
ROW_FIELDS = ("pk", *POSITION_FIELDS, *(f"{holder}__{field}" for holder in HOLDERS for field in ("slug", "name")))


def position_rows(queryset):
    """A positions queryset as rows holding what a page shows (still lazy: slice it first)."""
    return queryset.values(*ROW_FIELDS)


def positions_json(rows, url):
    """The API's JSON for these rows; `url(view_name, slug)` builds a record's URL."""
    # Each kind of URL is built once, then completed per row by string formatting.
    prefix = {}
    for view_name in ("source-detail", "position-detail", *(f"{holder}-detail" for holder in HOLDERS)):
        before, after = url(view_name, "{}").split("{}")
        prefix[view_name] = (before, after)
    source_before, source_after = prefix["source-detail"]
    position_before, position_after = prefix["position-detail"]
    citations = {}
    if rows:
        for citation in (
            Citation.objects.filter(position_id__in=[row["pk"] for row in rows])
            .order_by("source__slug", "start", "pk")
            .values("position_id", "quote", "start", "end", source_slug=F("source__slug"))
        ):
            source = citation["source_slug"]
            citations.setdefault(citation["position_id"], []).append(
                {
                    "source": source,
                    "source_url": f"{source_before}{source}{source_after}",
                    "quote": citation["quote"],
                    "start": citation["start"],
                    "end": citation["end"],
                }
            )
    results = []
    for row in rows:
        slug = row["slug"]
        result = {"slug": slug, "url": f"{position_before}{slug}{position_after}"}
        for holder in HOLDERS:
            holder_slug = row[f"{holder}__slug"]
            if holder_slug is None:
                result[holder] = None
            else:
                before, after = prefix[f"{holder}-detail"]
                result[holder] = {
                    "slug": holder_slug,
                    "name": row[f"{holder}__name"],
                    "url": f"{before}{holder_slug}{after}",
                }
        result.update(
            stance=row["stance"],
            date=row["date"].isoformat(),
            date_precision=row["date_precision"],
            date_basis=row["date_basis"],
            date_text=row["date_text"],
            summary=row["summary"],
            note=row["note"],
            citations=citations.get(row["pk"], []),
        )
        results.append(result)
    return results
