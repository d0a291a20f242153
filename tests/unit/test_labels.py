"""出库打印's templates and label contents (agent_app/labels.py): a site's file replaces the
shipped one, a bad file is refused with its name and field while the others still load,
each delivery class has its template, and an order that cannot be labelled says why."""
from __future__ import annotations

import json
from decimal import Decimal
from types import SimpleNamespace

import pytest

from agent_app import labels
from agent_app.errors import ValidationError


def test_the_shipped_templates_one_per_delivery_class():
    templates, problems = labels.load_templates()
    assert problems == []
    assert {labels.default_for(templates, c).name for c in "ABCD"} == {
        "ems_100x150", "local_76x130", "post_a5", "other_a4"}
    local = templates["local_76x130"]
    assert (local.layout, local.width_mm, local.height_mm) == ("label", 76.0, 130.0)
    assert (templates["ems_100x150"].width_mm, templates["ems_100x150"].height_mm) == (100, 150)
    assert templates["post_a5"].layout == "slip"


def test_a_sites_copy_replaces_the_shipped_one_and_a_bad_file_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(labels, "site_dir", lambda: tmp_path)
    (tmp_path / "local_76x130.json").write_text(json.dumps({
        "title": "本地 76×130（二号打印机）", "layout": "label", "width_mm": 76,
        "height_mm": 130, "classes": ["B"], "offsets": {"ZDesigner GK888t": [1.5, -0.5]}}),
        encoding="utf-8")
    (tmp_path / "broken.json").write_text('{"layout": "label", "width_mm": 5}', encoding="utf-8")
    (tmp_path / "folder.json").mkdir()                       # unreadable as a file
    (tmp_path / "gbk.json").write_bytes('{"title": "邮政"}'.encode("gbk"))   # not UTF-8
    templates, problems = labels.load_templates()
    local = templates["local_76x130"]
    assert local.title == "本地 76×130（二号打印机）"
    assert local.offset_for("ZDesigner GK888t") == (1.5, -0.5)
    assert local.offset_for("another printer") == (0.0, 0.0)
    assert not {"broken", "folder", "gbk"} & set(templates) and len(problems) == 3
    assert "broken.json: width_mm must be a number from 40 to 420" in problems[0]
    assert problems[1].endswith("folder.json: cannot be read (Is a directory)")
    assert problems[2].endswith("gbk.json: not UTF-8 text (save it as UTF-8)")
    assert {"ems_100x150", "post_a5", "other_a4"} <= set(templates)   # the rest still print


@pytest.mark.parametrize("text, says", [
    ("not json", "not JSON"),
    ('[1, 2]', "a JSON object"),
    ('{"layout": "poster", "width_mm": 76, "height_mm": 130}', "layout must be one of"),
    ('{"layout": "label", "width_mm": 76, "height_mm": true}', "height_mm must be a number"),
    ('{"layout": "label", "width_mm": 76, "height_mm": 130, "classes": ["E"]}', "classes must"),
    ('{"layout": "label", "width_mm": 76, "height_mm": 130, "offsets": {"p": [40, 0]}}',
     "offsets of 'p' must be [right, down] in mm, each within ±30"),
    ('{"layout": "label", "width_mm": 76, "height_mm": 130, "sender": {"name": 1}}',
     "sender must map"),
])
def test_bad_templates(text, says):
    with pytest.raises(labels.TemplateError, match=says.replace("[", r"\[").replace("]", r"\]")):
        labels.parse_template("x", text)


def row(**kw):
    base = dict(id=1, order_no="2612040001", waybill_no=None, customer_name="王建国",
                phone="13800138000", address="杭州市文三路8号", region_name="杭州市",
                cod_amount=Decimal("1280.00"), goods="眼保姆×1", delivery_requirements="",
                remark="", trial=False, delivery_method="B", seller_name="李娜")
    base.update(kw)
    return SimpleNamespace(**base)


def test_what_a_label_shows():
    d = labels.label_data(row())
    assert (d.number, d.phone, d.cod_amount) == ("2612040001", "138****8000", "¥1,280.00")
    assert labels.label_data(row(waybill_no="YD0000000123")).number == "YD0000000123"
    assert labels.label_data(row(cod_amount=Decimal("0.00"))).cod_amount == ""   # prepaid
    modules = labels.code128_modules("2612040001")
    assert set(modules) == {"0", "1"} and modules.startswith("11010011100")   # Start C


def test_orders_that_cannot_be_labelled_say_why():
    with pytest.raises(ValidationError, match="has no address"):
        labels.label_data(row(address="  "))
    with pytest.raises(ValidationError, match="cannot be printed as a barcode"):
        labels.label_data(row(waybill_no="联号1"))
    with pytest.raises(ValueError):
        labels.code128_modules("")
