"""The order form's lines (销售内容): an editable table model and its editors.

Picking a product (by name, or by its local short code through the completer) fills the
unit price from the product's retail price, quantity 1 and kind 直接销售, as the manual
says; the agent may change all three, and tick 试 for a trial.

The product editor is a line edit with a suggestion list: Down only opens the list, a
product is taken only from the list the agent sees (Return takes the highlighted row, or
the top one) or by a typed text naming exactly one product. Each suggestion and each line
shows the specification (规格): one product name may come in several, at several prices.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QComboBox,
    QCompleter,
    QLineEdit,
    QListWidget,
    QStyledItemDelegate,
    QToolButton,
    QWidget,
)

from agent_app.services.archives import ProductInfo
from agent_app.services.orders import OrderLineDraft, OrderLineInfo
from db.enums import LineKind
from ui.kit.names import line_kind_names, name_of

PRODUCT, SPEC, PRICE, QUANTITY, KIND, TRIAL, AMOUNT = range(7)
COLUMNS = 7
PRODUCT_ROLE = Qt.ItemDataRole.UserRole + 1  # a suggestion's product id


@dataclass
class Line:
    product_id: int | None = None
    product_name: str = ""
    specification: str = ""
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
        return cls(info.product_id, info.product_name, info.product_specification,
                   info.unit_price, info.quantity, info.kind, info.trial)


def product_label(p: ProductInfo) -> str:
    """A suggestion: name, specification, price and short code, so two products of one
    name (眼保姆护眼仪 at ¥398 and at ¥598) read differently."""
    parts = [p.name, p.specification, f"¥{p.retail_price:,.2f}",
             f"[{p.short_code}]" if p.short_code else ""]
    return "  ".join(t for t in parts if t)


class LinesModel(QAbstractTableModel):
    totals_changed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.lines: list[Line] = []
        self.products: dict[int, ProductInfo] = {}
        self.editable = True
        self.headers: list[str] = [""] * COLUMNS
        # the product editor's suggestions, one model for every editor (an editor opened
        # before the catalogue arrives fills as soon as it does)
        self.choices = QStandardItemModel(self)

    # -- content ----------------------------------------------------------------------------
    def set_products(self, products: list[ProductInfo]) -> None:
        self.products = {p.id: p for p in products}
        self.choices.clear()
        for p in sorted(products, key=lambda p: p.code):
            item = QStandardItem(product_label(p))
            item.setData(p.id, PRODUCT_ROLE)
            item.setEditable(False)
            self.choices.appendRow(item)

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
        line.specification = product.specification
        line.unit_price, line.quantity, line.kind = product.retail_price, 1, LineKind.DIRECT
        self.dataChanged.emit(self.index(row, 0), self.index(row, AMOUNT))
        self.totals_changed.emit()

    def total(self) -> Decimal:
        return sum((ln.amount for ln in self.lines), Decimal("0.00"))

    def quantity(self) -> int:
        return sum(ln.quantity for ln in self.lines)

    def find_product(self, text: str) -> ProductInfo | None:
        """A typed entry naming exactly one product: its suggestion label, product code,
        short code or name. A text naming several (one name in two specifications) names
        none: the agent picks from the list, where they differ."""
        t = text.strip()
        if not t:
            return None
        for p in self.products.values():
            if t in (product_label(p), p.code):
                return p
        hits = [p for p in self.products.values()
                if t == p.name or (p.short_code and t.upper() == p.short_code.upper())]
        return hits[0] if len(hits) == 1 else None

    # -- Qt model ---------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.lines)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else COLUMNS

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.editable and index.column() == TRIAL:
            f |= Qt.ItemFlag.ItemIsUserCheckable
        elif self.editable and index.column() not in (AMOUNT, SPEC):
            f |= Qt.ItemFlag.ItemIsEditable
        return f

    def data(self, index, role=Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.lines):
            return None
        line, col = self.lines[index.row()], index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if col == PRODUCT:
                return line.product_name
            if col == SPEC:
                return line.specification
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
                and 0 <= section < COLUMNS):
            return self.headers[section]
        return None

    def set_headers(self, headers: list[str]) -> None:
        self.headers = list(headers)
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, COLUMNS - 1)


class ProductEditor(QLineEdit):
    """The product cell's editor. Typing shows the matching products (name, 规格, price,
    short code); Down opens the list and only moves in it; Return takes the list's
    highlighted row, or its top row when none is highlighted: always a row on screen."""

    picked = Signal()  # a product was taken from the list: commit it and close

    def __init__(self, lines: LinesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("productEditor")
        self.lines = lines
        self.product_id: int | None = None  # the row taken from the list, if any
        completer = QCompleter(lines.choices, self)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setMaxVisibleItems(8)
        self.setCompleter(completer)
        popup = completer.popup()
        popup.setObjectName("productSuggestions")
        popup.installEventFilter(self)  # after the completer's filter, so it runs first
        completer.activated[QModelIndex].connect(self._take)  # a click in the list
        self.textEdited.connect(self._typed)
        lines.choices.modelReset.connect(self._catalogue_arrived)
        lines.choices.rowsInserted.connect(self._catalogue_arrived)

    def _typed(self, _text: str) -> None:
        self.product_id = None

    def _catalogue_arrived(self, *_args) -> None:
        # letters typed before the catalogue was loaded get their suggestions now
        if self.text() and self.hasFocus():
            self.show_suggestions()

    def show_suggestions(self) -> None:
        completer = self.completer()
        completer.setCompletionPrefix(self.text())
        completer.complete()

    def _take(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        self.product_id = index.data(PRODUCT_ROLE)
        self.setText(index.data())
        self.completer().popup().hide()
        self.picked.emit()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up) \
                and not self.completer().popup().isVisible():
            self.show_suggestions()  # opens the list; never changes the pick by itself
            return
        super().keyPressEvent(event)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if (obj is self.completer().popup() and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)):
            popup = self.completer().popup()
            index = popup.currentIndex()
            if not index.isValid():
                index = self.completer().completionModel().index(0, 0)
            if index.isValid():
                self._take(index)
                return True
        return super().eventFilter(obj, event)


class LinesDelegate(QStyledItemDelegate):
    """Product: a ProductEditor; kind: a combo of 直接销售 / 搭销 / 赠品."""

    unknown_product = Signal(str)  # a typed text that names no single product

    def __init__(self, model: LinesModel, parent=None) -> None:
        super().__init__(parent)
        self.lines = model

    def createEditor(self, parent: QWidget, option, index) -> QWidget:  # noqa: N802
        if index.column() == PRODUCT:
            editor = ProductEditor(self.lines, parent)
            editor.picked.connect(lambda e=editor: self.commit_and_close(e))
            return editor
        if index.column() == KIND:
            combo = QComboBox(parent)
            combo.setObjectName("kindEditor")
            for code, text in line_kind_names().items():
                combo.addItem(text, code)
            return combo
        return super().createEditor(parent, option, index)

    def commit_and_close(self, editor: QWidget) -> None:
        self.commitData.emit(editor)
        self.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.NoHint)

    def setEditorData(self, editor: QWidget, index) -> None:  # noqa: N802
        if index.column() == PRODUCT and isinstance(editor, ProductEditor):
            line = self.lines.lines[index.row()]
            product = self.lines.products.get(line.product_id) if line.product_id else None
            editor.product_id = line.product_id
            editor.setText(product_label(product) if product else line.product_name)
        elif index.column() == KIND and isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(self.lines.lines[index.row()].kind)))
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor: QWidget, model, index) -> None:  # noqa: N802
        if index.column() == PRODUCT and isinstance(editor, ProductEditor):
            product = self.lines.products.get(editor.product_id) if editor.product_id else None
            if product is None:
                product = self.lines.find_product(editor.text())
            if product is not None:
                model.setData(index, product)
            elif editor.text().strip() and editor.text() != self.lines.lines[index.row()].product_name:
                self.unknown_product.emit(editor.text().strip())
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
