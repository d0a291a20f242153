"""The order form's lines (销售内容): an editable table model and its editors.

Picking a product (by name, or by its local short code through the completer) fills the
unit price from the product's retail price, quantity 1 and kind 直接销售, as the manual
says; the agent may change all three, and tick 试 for a trial.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QListWidget,
    QStyledItemDelegate,
    QToolButton,
    QWidget,
)

from agent_app.services.archives import ProductInfo
from agent_app.services.orders import OrderLineDraft, OrderLineInfo
from db.enums import LineKind
from ui.sales.labels import line_kind_names, name_of

PRODUCT, PRICE, QUANTITY, KIND, TRIAL, AMOUNT = range(6)


@dataclass
class Line:
    product_id: int | None = None
    product_name: str = ""
    unit_price: Decimal = Decimal("0.00")
    quantity: int = 1
    kind: str = LineKind.DIRECT
    trial: bool = False

    @property
    def amount(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(Decimal("0.01"))

    def draft(self) -> OrderLineDraft:
        assert self.product_id is not None
        return OrderLineDraft(product_id=self.product_id, quantity=self.quantity,
                              unit_price=self.unit_price, kind=self.kind, trial=self.trial)

    @classmethod
    def of(cls, info: OrderLineInfo) -> Line:
        return cls(info.product_id, info.product_name, info.unit_price, info.quantity,
                   info.kind, info.trial)


def product_label(p: ProductInfo) -> str:
    return f"{p.name}  [{p.short_code}]" if p.short_code else p.name


class LinesModel(QAbstractTableModel):
    totals_changed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.lines: list[Line] = []
        self.products: dict[int, ProductInfo] = {}
        self.editable = True
        self.headers: list[str] = [""] * 6

    # -- content ----------------------------------------------------------------------------
    def set_lines(self, lines: list[Line]) -> None:
        self.beginResetModel()
        self.lines = list(lines)
        self.endResetModel()
        self.totals_changed.emit()

    def add_line(self, product: ProductInfo | None = None) -> int:
        row = len(self.lines)
        self.beginInsertRows(QModelIndex(), row, row)
        self.lines.append(Line())
        self.endInsertRows()
        if product is not None:
            self.set_product(row, product)
        self.totals_changed.emit()
        return row

    def remove_line(self, row: int) -> None:
        if 0 <= row < len(self.lines):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self.lines[row]
            self.endRemoveRows()
            self.totals_changed.emit()

    def set_product(self, row: int, product: ProductInfo) -> None:
        """The manual's defaults on picking: retail price, quantity 1, 直接销售."""
        line = self.lines[row]
        if line.product_id == product.id:
            return  # the same pick committed again keeps the agent's price and quantity
        line.product_id, line.product_name = product.id, product.name
        line.unit_price, line.quantity, line.kind = product.retail_price, 1, LineKind.DIRECT
        self.dataChanged.emit(self.index(row, 0), self.index(row, AMOUNT))
        self.totals_changed.emit()

    def total(self) -> Decimal:
        return sum((ln.amount for ln in self.lines), Decimal("0.00"))

    def quantity(self) -> int:
        return sum(ln.quantity for ln in self.lines)

    def find_product(self, text: str) -> ProductInfo | None:
        """A typed entry: the completer's label, a name, a short code or a product code."""
        t = text.strip()
        if not t:
            return None
        for p in self.products.values():
            if t in (product_label(p), p.name, p.code) or t.upper() == p.short_code.upper():
                return p
        return None

    # -- Qt model ---------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.lines)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else 6

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.editable and index.column() == TRIAL:
            f |= Qt.ItemFlag.ItemIsUserCheckable
        elif self.editable and index.column() != AMOUNT:
            f |= Qt.ItemFlag.ItemIsEditable
        return f

    def data(self, index, role=Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.lines):
            return None
        line, col = self.lines[index.row()], index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if col == PRODUCT:
                return line.product_name
            if col == PRICE:
                return f"{line.unit_price:.2f}"
            if col == QUANTITY:
                return line.quantity if role == Qt.ItemDataRole.EditRole else str(line.quantity)
            if col == KIND:
                return line.kind if role == Qt.ItemDataRole.EditRole else name_of(
                    line_kind_names(), line.kind)
            if col == AMOUNT:
                return f"{line.amount:,.2f}"
            return None
        if role == Qt.ItemDataRole.CheckStateRole and col == TRIAL:
            return Qt.CheckState.Checked if line.trial else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (PRICE, QUANTITY, AMOUNT):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid() or not self.editable:
            return False
        line, col = self.lines[index.row()], index.column()
        if col == TRIAL and role == Qt.ItemDataRole.CheckStateRole:
            line.trial = Qt.CheckState(value) == Qt.CheckState.Checked
        elif role != Qt.ItemDataRole.EditRole:
            return False
        elif col == PRODUCT:
            product = value if isinstance(value, ProductInfo) else self.find_product(str(value))
            if product is None:
                return False
            self.set_product(index.row(), product)
            return True
        elif col == PRICE:
            try:
                price = Decimal(str(value).strip())
            except InvalidOperation:
                return False
            if not price.is_finite() or price < 0:
                return False
            line.unit_price = price.quantize(Decimal("0.01"))
        elif col == QUANTITY:
            try:
                qty = int(value)
            except (TypeError, ValueError):
                return False
            if qty < 1:
                return False
            line.quantity = qty
        elif col == KIND:
            if value not in set(LineKind):
                return False
            # a gift costs nothing; taking it back to a sale restores the retail price
            if value == LineKind.GIFT:
                line.unit_price = Decimal("0.00")
            elif line.kind == LineKind.GIFT and line.product_id in self.products:
                line.unit_price = self.products[line.product_id].retail_price
            line.kind = str(value)
        else:
            return False
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), AMOUNT))
        self.totals_changed.emit()
        return True

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if (role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < 6):
            return self.headers[section]
        return None

    def set_headers(self, headers: list[str]) -> None:
        self.headers = list(headers)
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 5)


class LinesDelegate(QStyledItemDelegate):
    """Product: an editable combo whose completer matches name or short code anywhere;
    kind: a combo of 直接销售 / 搭销 / 赠品."""

    def __init__(self, model: LinesModel, parent=None) -> None:
        super().__init__(parent)
        self.lines = model

    def createEditor(self, parent: QWidget, option, index) -> QWidget:  # noqa: N802
        if index.column() == PRODUCT:
            combo = QComboBox(parent)
            combo.setObjectName("productEditor")
            combo.setEditable(True)
            combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            for p in sorted(self.lines.products.values(), key=lambda p: p.code):
                combo.addItem(product_label(p), p.id)
            completer = QCompleter(combo.model(), combo)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            combo.setCompleter(completer)
            return combo
        if index.column() == KIND:
            combo = QComboBox(parent)
            combo.setObjectName("kindEditor")
            for code, text in line_kind_names().items():
                combo.addItem(text, code)
            return combo
        return super().createEditor(parent, option, index)

    def setEditorData(self, editor: QWidget, index) -> None:  # noqa: N802
        if index.column() == PRODUCT and isinstance(editor, QComboBox):
            pid = self.lines.lines[index.row()].product_id
            i = editor.findData(pid) if pid is not None else -1
            editor.setCurrentIndex(i)
            if i < 0:
                editor.setEditText(self.lines.lines[index.row()].product_name)
        elif index.column() == KIND and isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(self.lines.lines[index.row()].kind)))
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor: QWidget, model, index) -> None:  # noqa: N802
        if index.column() == PRODUCT and isinstance(editor, QComboBox):
            product = self.lines.find_product(editor.currentText())
            if product is None and editor.currentData() is not None:
                product = self.lines.products.get(editor.currentData())
            if product is not None:
                model.setData(index, product)
        elif index.column() == KIND and isinstance(editor, QComboBox):
            model.setData(index, editor.currentData())
        else:
            super().setModelData(editor, model, index)


def collapsible_list(toggle_name: str, list_name: str) -> tuple[QToolButton, QListWidget]:
    """A ▸/▾ button showing or hiding a short list (the order form's history)."""
    toggle, items = QToolButton(), QListWidget()
    toggle.setObjectName(toggle_name)
    toggle.setCheckable(True)
    toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    toggle.setArrowType(Qt.ArrowType.RightArrow)
    items.setObjectName(list_name)
    items.setMaximumHeight(110)
    items.hide()

    def show(on: bool) -> None:
        items.setVisible(on)
        toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
    toggle.toggled.connect(show)
    return toggle, items
