"""出库打印's templates and what a label carries: core, no Qt (ui/logistics/printing.py
paints them).

A template is a JSON file in resources/labels/ that a site may edit: the paper (width and
height in mm), the layout ("label": a courier's thermal e-waybill; "slip": a delivery slip
on A4/A5 paper), the delivery classes (类 A–D) it is the default for, the sender printed on
it, and offsets per printer name (mm right and down), because two printers of one model
still feed the paper a millimetre apart. A file of the same name in the workstation's
folder (`<home>/labels/`) replaces the shipped one, so a site's edit survives an upgrade.

The number is printed as Code 128 (the couriers' and GB/T 41833's symbology): the waybill
when the order has one, else the order number, which 出库反馈's scanner reads either way.
The recipient's phone is masked in the middle on every label, as couriers' privacy
waybills (隐私面单) print it; the courier's system has the full number.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from agent_app import config, paths
from agent_app.errors import ValidationError
from agent_app.phones import mask_phone
from agent_app.tr import QT_TRANSLATE_NOOP

LAYOUTS = ("label", "slip")
MIN_MM, MAX_MM = 40.0, 420.0      # from a small label to A3
MAX_OFFSET_MM = 30.0


class TemplateError(ValueError):
    """A template file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True, eq=False)   # one object per file: compared and hashed by identity
class Template:
    name: str                      # the file's stem: "local_76x130"
    title: str                     # shown in the template list
    layout: str                    # LAYOUTS
    width_mm: float
    height_mm: float
    classes: tuple[str, ...] = ()  # delivery classes it is the default for
    sender: dict[str, str] = field(default_factory=dict)   # name, phone, address
    offsets: dict[str, tuple[float, float]] = field(default_factory=dict)  # printer → mm

    def offset_for(self, printer_name: str) -> tuple[float, float]:
        return self.offsets.get(printer_name, self.offsets.get("*", (0.0, 0.0)))


def shipped_dir() -> Path:
    return paths.resources_dir() / "labels"


def site_dir() -> Path:
    return config.home() / "labels"


def _number(data: dict, key: str, source: str, lo: float, hi: float) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise TemplateError(f"{source}: {key} must be a number from {lo:g} to {hi:g}")
    return float(value)


def parse_template(name: str, text: str, source: str = "") -> Template:
    source = source or name
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TemplateError(f"{source}: not JSON ({exc.msg}, line {exc.lineno})") from exc
    if not isinstance(data, dict):
        raise TemplateError(f"{source}: a template is a JSON object")
    layout = data.get("layout")
    if layout not in LAYOUTS:
        raise TemplateError(f"{source}: layout must be one of {', '.join(LAYOUTS)}")
    width = _number(data, "width_mm", source, MIN_MM, MAX_MM)
    height = _number(data, "height_mm", source, MIN_MM, MAX_MM)
    classes = data.get("classes", [])
    if not isinstance(classes, list) or not all(c in ("A", "B", "C", "D") for c in classes):
        raise TemplateError(f"{source}: classes must be a list of A, B, C, D")
    sender = data.get("sender", {})
    if not isinstance(sender, dict) or not all(isinstance(v, str) for v in sender.values()):
        raise TemplateError(f"{source}: sender must map name, phone, address to text")
    offsets: dict[str, tuple[float, float]] = {}
    raw = data.get("offsets", {})
    if not isinstance(raw, dict):
        raise TemplateError(f"{source}: offsets must map a printer name to [right, down]")
    for printer, pair in raw.items():
        if (not isinstance(pair, list) or len(pair) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                           and abs(v) <= MAX_OFFSET_MM for v in pair)):
            raise TemplateError(f"{source}: offsets of {printer!r} must be [right, down] in mm, "
                                f"each within ±{MAX_OFFSET_MM:g}")
        offsets[str(printer)] = (float(pair[0]), float(pair[1]))
    title = data.get("title") or name
    if not isinstance(title, str):
        raise TemplateError(f"{source}: title must be text")
    return Template(name, title, layout, width, height, tuple(classes),
                    {k: str(v) for k, v in sender.items()}, offsets)


def load_templates() -> tuple[dict[str, Template], list[str]]:
    """Every usable template by name (the site's copy over the shipped one), and the
    problems of the files that could not be used (shown, never fatal: the other templates
    still print)."""
    found: dict[str, Path] = {}
    for folder in (shipped_dir(), site_dir()):
        if folder.is_dir():
            for path in sorted(folder.glob("*.json")):
                found[path.stem] = path
    templates: dict[str, Template] = {}
    problems: list[str] = []
    for name, path in sorted(found.items()):
        try:
            templates[name] = parse_template(name, path.read_text(encoding="utf-8"), str(path))
        except TemplateError as exc:     # names its file already
            problems.append(str(exc))
        except OSError as exc:
            problems.append(f"{path}: cannot be read ({exc.strerror or exc})")
        except UnicodeDecodeError:
            problems.append(f"{path}: not UTF-8 text (save it as UTF-8)")
    return templates, problems


def default_for(templates: dict[str, Template], delivery_method: str) -> Template | None:
    """The template of a delivery class (类), else the first label template."""
    for t in templates.values():
        if delivery_method in t.classes:
            return t
    return next((t for t in templates.values() if t.layout == "label"),
                next(iter(templates.values()), None))


# -- Code 128 -------------------------------------------------------------------------------------
def code128_modules(text: str) -> str:
    """The bars of `text` in Code 128 as "1" (bar) and "0" (space) modules, quiet zones
    not included. python-barcode picks the code sets (C for digit pairs), so a 12-digit
    number is about 90 modules."""
    from barcode.codex import Code128  # python-barcode: a pure-Python encoder

    if not text or not text.isascii() or not text.isprintable():
        raise ValueError(f"cannot print {text!r} as Code 128")
    return Code128(text).build()[0]


# -- what one label shows --------------------------------------------------------------------------
@dataclass(frozen=True)
class LabelData:
    number: str            # the barcode: the waybill, else the order number
    order_no: str
    recipient: str
    phone: str             # masked in the middle (隐私面单)
    address: str
    region: str
    cod_amount: str        # "¥1,280.00", or "" for a prepaid order
    goods: str
    requirements: str
    remark: str
    trial: bool
    delivery_method: str
    seller: str


def label_data(row) -> LabelData:
    """From a services.logistics.DispatchRow (or anything with its fields); a
    ValidationError names what keeps the order off the page, so a batch goes on without it."""
    number = row.waybill_no or row.order_no
    try:
        code128_modules(number)   # refuse here, by order, rather than mid-page
    except ValueError:
        raise ValidationError(QT_TRANSLATE_NOOP(
            "errors", "{number} cannot be printed as a barcode."), number=number) from None
    if not (row.address or "").strip():
        raise ValidationError(QT_TRANSLATE_NOOP("errors", "The order has no address."))
    cod = f"¥{row.cod_amount:,.2f}" if row.cod_amount else ""
    return LabelData(number, row.order_no, row.customer_name, mask_phone(row.phone),
                     row.address, row.region_name, cod, row.goods, row.delivery_requirements,
                     row.remark, bool(row.trial), row.delivery_method, row.seller_name)
