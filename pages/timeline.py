"""The timeline as a picture: lanes of holders, a time axis, and a mark for each position.

`layout()` takes positions as `api.writers` writes them and returns where everything goes; the
template `pages/_timeline.svg.html` only draws it. The rules:

- one lane per holder (kb.models.Holder), lanes grouped by the holder's kind (states, cities,
  advocacy groups, ...; an official holding a stance alone last);
- a date's precision is its extent: a day is a point, a week, month, year or range a bar from its
  earliest to its latest day;
- the versions of one event (sources telling one happening differently) sit side by side on
  consecutive rows of their lane, framed together and marked as disputed;
- the axis is linear, one scale for the whole picture so that extents compare, but long
  stretches with no position are cut out and drawn as breaks; each stretch that is kept is a
  zoom link (`?from=...&to=...`), and a window drawn alone has no breaks.
"""

import datetime
from dataclasses import dataclass, field

from pages.presenting import (
    KIND_GROUPS,
    MONTHS,
    OFFICIALS_GROUP,
    Interval,
    holder_of,
    stance_label,
)

WIDTH = 1100
LABEL_WIDTH = 250  # lane names, right-aligned against the plot
PLOT_LEFT = LABEL_WIDTH + 14
PLOT_RIGHT = WIDTH - 16
AXIS_HEIGHT = 58  # stretch captions, then tick labels
ROW_HEIGHT = 20
LANE_PADDING = 5
GROUP_HEIGHT = 26
BREAK_WIDTH = 24
POINT_RADIUS = 5
BAR_HEIGHT = 10
MIN_BAR_WIDTH = 3
MIN_TICK_SPACING = 64  # px between tick labels
FRAME_MARGIN = 4
DISPUTED_LABEL_WIDTH = 58
BOTTOM_MARGIN = 12
DAY = datetime.timedelta(days=1)


@dataclass
class Mark:
    slug: str
    href: str
    stance: str
    label: str
    x: float
    y: float
    width: float  # 0 for a point
    disputed: bool
    clipped_before: bool = False
    clipped_after: bool = False

    @property
    def is_point(self):
        return self.width == 0

    @property
    def top(self):
        return self.y - BAR_HEIGHT / 2

    @property
    def end(self):
        return self.x + self.width

    radius = POINT_RADIUS
    bar_height = BAR_HEIGHT

    @property
    def before_arrow(self):
        """A small triangle pointing left: the interval goes on before the window."""
        return f"M{self.x - 1:.1f},{self.y:.1f} l5,-5 v10 z"

    @property
    def after_arrow(self):
        return f"M{self.end + 1:.1f},{self.y:.1f} l-5,-5 v10 z"


@dataclass
class Frame:
    """The versions of one disputed event, framed together."""

    x: float
    y: float
    width: float
    height: float
    label: str
    label_x: float
    label_anchor: str

    @property
    def label_y(self):
        return self.y + min(self.height, ROW_HEIGHT) / 2 + 4


@dataclass
class Lane:
    name: str
    href: str
    y: float
    height: float
    index: int

    @property
    def label_y(self):
        return self.y + min(self.height, LANE_PADDING * 2 + ROW_HEIGHT) / 2 + 4


@dataclass
class Group:
    name: str
    y: float


@dataclass
class Tick:
    x: float
    label: str

    @property
    def label_x(self):
        return self.x + 3


@dataclass
class Stretch:
    """A span of time drawn on the axis; the ones cut out between them are breaks."""

    first: datetime.date
    last: datetime.date  # inclusive
    x: float = 0.0
    width: float = 0.0
    href: str = ""  # drawn alone, zoomed in
    caption_first: datetime.date | None = None  # the positions' own days, without the margins
    caption_last: datetime.date | None = None

    @property
    def center(self):
        return self.x + self.width / 2

    @property
    def days(self):
        return (self.last - self.first).days + 1

    def caption(self):
        return span_words(self.caption_first or self.first, self.caption_last or self.last)


@dataclass
class Break:
    x: float
    label: str
    width = BREAK_WIDTH

    @property
    def center(self):
        return self.x + BREAK_WIDTH / 2

    @property
    def zigzag(self):
        """Two slanted strokes across the axis line: the sign of a cut-out stretch of time."""
        y = AXIS_HEIGHT
        return " ".join(f"M{self.center + dx - 3:.1f},{y + 6} l6,-12" for dx in (-3, 3))


@dataclass
class Timeline:
    marks: list = field(default_factory=list)
    frames: list = field(default_factory=list)
    lanes: list = field(default_factory=list)
    groups: list = field(default_factory=list)
    ticks: list = field(default_factory=list)
    stretches: list = field(default_factory=list)
    breaks: list = field(default_factory=list)
    outside: int = 0  # positions outside the window asked for
    height: float = AXIS_HEIGHT + BOTTOM_MARGIN
    width: int = WIDTH
    plot_left: int = PLOT_LEFT
    plot_right: int = PLOT_RIGHT
    axis_y: int = AXIS_HEIGHT

    lane_name_x = PLOT_LEFT - 14
    tick_top = AXIS_HEIGHT - 6
    tick_label_y = AXIS_HEIGHT - 10

    @property
    def plot_bottom(self):
        return self.height - BOTTOM_MARGIN

    @property
    def plot_height(self):
        return self.plot_bottom - AXIS_HEIGHT


def span_words(first, last):
    """ "2006", "May 2011", "Dec 2010 – Jun 2011", "3 – 9 Jun 2011"."""

    def month(day):
        return f"{MONTHS[day.month - 1][:3]} {day.year}"

    whole_years = first == first.replace(month=1, day=1) and last == last.replace(month=12, day=31)
    if whole_years:
        return str(first.year) if first.year == last.year else f"{first.year} – {last.year}"
    if (first.year, first.month) == (last.year, last.month):
        if first.day == 1 and (last + DAY).day == 1:
            return month(first)
        return f"{first.day} – {last.day} {month(first)}"
    return f"{month(first)} – {month(last)}"


def _clusters(intervals, total_days):
    """Merge the positions' intervals into the stretches the axis keeps; long empty gaps are cut."""
    gap_cut = max(90, total_days // 10)
    clusters = []
    for first, last in sorted(intervals):
        if clusters and (first - clusters[-1][1]).days <= gap_cut:
            clusters[-1][1] = max(clusters[-1][1], last)
        else:
            clusters.append([first, last])
    return clusters


def _padded(first, last):
    """A stretch a little wider than its positions, so that no mark sits on a break."""
    pad = datetime.timedelta(days=max(2, round(((last - first).days + 1) * 0.015)))
    return first - pad, last + pad


def zoom_windows(positions):
    """The stretches the whole picture keeps, as windows to draw alone: [(first, last, words)]."""
    intervals = _intervals(positions)
    if not intervals:
        return []
    total = (max(last for _, last in intervals) - min(first for first, _ in intervals)).days + 1
    return [(*_padded(first, last), span_words(first, last)) for first, last in _clusters(intervals, total)]


def _intervals(positions):
    spans = []
    for position in positions:
        interval = Interval.of(position)
        if interval.dated:
            spans.append((interval.earliest, interval.latest))
    return spans


def overlaps(interval, window):
    """Whether a position's interval has a day in the window (every interval does in no window)."""
    return window is None or not (interval.latest < window[0] or interval.earliest > window[1])


class Scale:
    """Days to x across the stretches, one number of pixels per day for all of them."""

    def __init__(self, stretches):
        self.stretches = stretches
        available = PLOT_RIGHT - PLOT_LEFT - BREAK_WIDTH * (len(stretches) - 1)
        self.per_day = available / sum(stretch.days for stretch in stretches)
        x = PLOT_LEFT
        for stretch in stretches:
            stretch.x, stretch.width = x, stretch.days * self.per_day
            x += stretch.width + BREAK_WIDTH

    def round(self):
        for stretch in self.stretches:
            stretch.x, stretch.width = round(stretch.x, 1), round(stretch.width, 1)

    def x(self, day):
        """The left edge of a day."""
        for stretch in self.stretches:
            if day <= stretch.last:
                return stretch.x + max(0, (day - stretch.first).days) * self.per_day
        last = self.stretches[-1]
        return last.x + last.width

    def span(self, first, last):
        """(x, width) of the days first..last inclusive, which lie in one stretch."""
        x = self.x(first)
        return x, max(MIN_BAR_WIDTH, self.x(last) + self.per_day - x)


TICK_STEPS = [  # (days a step spans, at least) from the finest up
    ("day", 1),
    ("week", 7),
    ("month", 28),
    ("quarter", 89),
    ("year", 365),
    ("5 years", 5 * 365),
    ("10 years", 10 * 365),
]


def _tick_days(stretch, step):
    first, last = stretch.first, stretch.last
    if step == "day":
        day = first
        while day <= last:
            yield day
            day += DAY
    elif step == "week":
        day = first + datetime.timedelta(days=(7 - first.weekday()) % 7)
        while day <= last:
            yield day
            day += 7 * DAY
    elif step in ("month", "quarter"):
        months = 1 if step == "month" else 3
        year, month = first.year, first.month
        while True:
            day = datetime.date(year, month, 1)
            if day > last:
                break
            if day >= first and (month - 1) % months == 0:
                yield day
            month += 1
            if month == 13:
                year, month = year + 1, 1
    else:
        every = {"year": 1, "5 years": 5, "10 years": 10}[step]
        for year in range(first.year, last.year + 1):
            day = datetime.date(year, 1, 1)
            if day >= first and year % every == 0:
                yield day


def _tick_label(day, step, first_of_stretch):
    if step in ("year", "5 years", "10 years"):
        return str(day.year)
    if step in ("month", "quarter"):
        return f"{MONTHS[day.month - 1][:3]}" + (f" {day.year}" if day.month == 1 or first_of_stretch else "")
    return f"{day.day} {MONTHS[day.month - 1][:3]}"


def _ticks(scale):
    ticks = []
    for stretch in scale.stretches:
        step = next((name for name, days in TICK_STEPS if days * scale.per_day >= MIN_TICK_SPACING), TICK_STEPS[-1][0])
        followed = stretch is not scale.stretches[-1]
        for index, day in enumerate(_tick_days(stretch, step)):
            x = scale.x(day)
            if followed and x > stretch.x + stretch.width - MIN_TICK_SPACING * 0.75:
                continue  # its label would run into the next stretch's first
            ticks.append(Tick(round(x, 1), _tick_label(day, step, index == 0)))
    return ticks


def _stretches(intervals, window):
    if window is not None:
        return [Stretch(*window)]
    total = (max(last for _, last in intervals) - min(first for first, _ in intervals)).days + 1
    return [
        Stretch(*_padded(first, last), caption_first=first, caption_last=last)
        for first, last in _clusters(intervals, total)
    ]


def _mark_label(position, holder_name, interval, versions):
    words = f"{holder_name}: {stance_label(position['stance'])}, {interval.words()}"
    if interval.text:
        words += f" (“{interval.text}”)"
    if versions > 1:
        words += f"; disputed, one of {versions} versions of one event"
    return f"{words}. {position['summary']}"


class _Rows:
    """The rows of one lane and the x-ranges already taken on each."""

    def __init__(self):
        self.taken = []

    def free(self, row, left, right):
        if row >= len(self.taken):
            return True
        return all(right <= start or left >= end for start, end in self.taken[row])

    def place(self, extent_left, extent_right, count):
        row = 0
        while not all(self.free(row + offset, extent_left, extent_right) for offset in range(count)):
            row += 1
        while len(self.taken) < row + count:
            self.taken.append([])
        for offset in range(count):
            self.taken[row + offset].append((extent_left, extent_right))
        return row

    def __len__(self):
        return max(1, len(self.taken))


def layout(positions, holder_kinds, page_url, window=None):
    """Where every lane, mark and tick goes.

    `positions`: position records as `WRITERS["position"]` writes them; `holder_kinds`:
    {("jurisdiction"|"organization", slug): kind}; `page_url(kind, slug)`: a page's URL;
    `window`: (first, last) days to draw alone, or None for everything.
    """
    timeline = Timeline()
    shown = []
    for position in positions:
        interval = Interval.of(position)
        if overlaps(interval, window):
            shown.append((position, interval))
        else:
            timeline.outside += 1
    if not shown:
        return timeline

    clipped = [
        (max(interval.earliest, window[0]), min(interval.latest, window[1]))
        if window
        else (interval.earliest, interval.latest)
        for _, interval in shown
    ]
    timeline.stretches = _stretches(clipped, window)
    scale = Scale(timeline.stretches)
    timeline.ticks = _ticks(scale)
    timeline.breaks = [
        Break(
            round(before.x + before.width, 1),
            f"No position between {span_words(before.last, before.last)} and {span_words(after.first, after.first)}: "
            "this stretch of time is cut out",
        )
        for before, after in zip(timeline.stretches, timeline.stretches[1:], strict=False)
    ]

    # Lanes, grouped by the holder's kind in the vocabulary's order, then by name.
    lanes = {}
    for (position, interval), (first, last) in zip(shown, clipped, strict=True):
        kind, key, name, slug = holder_of(position)
        group = KIND_GROUPS.get(holder_kinds.get((kind, slug)), kind.title()) if kind != "official" else OFFICIALS_GROUP
        lane = lanes.setdefault(key, {"name": name, "href": page_url(kind, slug), "group": group, "units": {}})
        unit_key = ("event", position["event"]["slug"]) if position["disputed"] else ("own", position["slug"])
        lane["units"].setdefault(unit_key, []).append((position, interval, first, last))
    group_order = [*KIND_GROUPS.values(), OFFICIALS_GROUP]
    ordered = sorted(
        lanes.values(),
        key=lambda lane: (
            group_order.index(lane["group"]) if lane["group"] in group_order else len(group_order),
            lane["name"],
        ),
    )

    y = AXIS_HEIGHT + 6
    current_group = None
    for index, lane in enumerate(ordered):
        if lane["group"] != current_group:
            current_group = lane["group"]
            timeline.groups.append(Group(current_group, y + GROUP_HEIGHT - 8))
            y += GROUP_HEIGHT
        rows = _Rows()
        placed = []
        units = sorted(lane["units"].values(), key=lambda unit: min(first for _, _, first, _ in unit))
        for unit in units:
            unit.sort(key=lambda version: (version[2], version[0]["slug"]))
            extents = []
            for _, interval, first, last in unit:
                if interval.is_point:
                    x = scale.x(first) + scale.per_day / 2
                    extents.append((x - POINT_RADIUS, x + POINT_RADIUS, x, 0))
                else:
                    x, width = scale.span(first, last)
                    extents.append((x, x + width, x, width))
            left = min(extent[0] for extent in extents) - FRAME_MARGIN
            right = max(extent[1] for extent in extents) + FRAME_MARGIN
            disputed = len(unit) > 1
            label_right = right + DISPUTED_LABEL_WIDTH <= PLOT_RIGHT
            occupied = (
                (left, right + DISPUTED_LABEL_WIDTH)
                if disputed and label_right
                else (left - DISPUTED_LABEL_WIDTH, right)
                if disputed
                else (left, right)
            )
            row = rows.place(*occupied, len(unit))
            placed.append((unit, extents, row, left, right, disputed, label_right))
        lane_height = len(rows) * ROW_HEIGHT + 2 * LANE_PADDING
        for unit, extents, row, left, right, disputed, label_right in placed:
            for offset, ((position, interval, first, last), (_, _, x, width)) in enumerate(
                zip(unit, extents, strict=True)
            ):
                timeline.marks.append(
                    Mark(
                        slug=position["slug"],
                        href=page_url("position", position["slug"]),
                        stance=position["stance"],
                        label=_mark_label(position, lane["name"], interval, 1 + len(position["versions"])),
                        x=round(x, 1),
                        y=y + LANE_PADDING + (row + offset) * ROW_HEIGHT + ROW_HEIGHT / 2,
                        width=round(width, 1),
                        disputed=bool(position["disputed"]),
                        clipped_before=first > interval.earliest,
                        clipped_after=last < interval.latest,
                    )
                )
            if disputed:
                top = y + LANE_PADDING + row * ROW_HEIGHT + 1
                event = unit[0][0]["event"]
                timeline.frames.append(
                    Frame(
                        x=round(left, 1),
                        y=top,
                        width=round(right - left, 1),
                        height=len(unit) * ROW_HEIGHT - 2,
                        label=f"Disputed: {len(unit)} versions of one event, told differently by the sources. "
                        f"{event['summary']}",
                        label_x=round(right + 4 if label_right else left - 4, 1),
                        label_anchor="start" if label_right else "end",
                    )
                )
        timeline.lanes.append(Lane(lane["name"], lane["href"], y, lane_height, index))
        y += lane_height
    timeline.height = y + BOTTOM_MARGIN
    scale.round()
    return timeline
