"""What the order form reads besides the order itself, on SQLite and MariaDB: the medium a
hotline advertises (a call's medium when no advert of it is airing) and each line's
specification (规格)."""
from __future__ import annotations

from agent_app.cli.identity import SHELL
from agent_app.services.archives import ArchiveService
from agent_app.services.cti_config import CtiConfigService
from agent_app.services.customers import CustomerDraft, CustomerService
from agent_app.services.orders import OrderDraft, OrderLineDraft, OrderService


def test_the_medium_a_hotline_advertises(database, superadmin):
    arch = ArchiveService(database)
    medium = arch.save_medium(superadmin, type="电视", name="江苏卫视")
    cti = CtiConfigService(database)
    cti.set_group(SHELL, "21", name="接线组")
    cti.set_number(SHELL, "4006000001", group="21", medium=medium.name)
    cti.set_number(SHELL, "4006000002", group="21")
    assert arch.medium_of_number(" 4006000001 ") == medium.id
    assert arch.medium_of_number("4006000002") is None  # a hotline with no medium
    assert arch.medium_of_number("4009999999") is None  # no such hotline
    assert arch.medium_of_number("") is None


def test_order_lines_carry_the_products_specification(database, superadmin):
    arch = ArchiveService(database)
    variety = arch.save_variety(superadmin, name="眼保姆")
    region = arch.save_region(superadmin, name="杭州", province="浙江", area_code="0571")
    plain, deluxe = (arch.save_product(superadmin, name="眼保姆护眼仪", specification=spec,
                                       variety_id=variety.id, unit="台", short_code=code,
                                       retail_price=price)
                     for spec, code, price in (("标准型", "YBM", "398"),
                                               ("豪华型", "YBMH", "598")))
    customer = CustomerService(database).register(
        superadmin, CustomerDraft(name="王建国", mobile="13900000001", region_id=region.id))
    order = OrderService(database).create(superadmin, OrderDraft(
        customer_id=customer.id,
        lines=(OrderLineDraft(deluxe.id), OrderLineDraft(plain.id))))
    got = OrderService(database).get(order.id)
    assert [(ln.product_name, ln.product_specification) for ln in got.lines] == [
        ("眼保姆护眼仪", "豪华型"), ("眼保姆护眼仪", "标准型")]
