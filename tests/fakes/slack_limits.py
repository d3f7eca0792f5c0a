"""Strict check of Block Kit payloads against Slack's documented limits.

The numbers are written out here on purpose (not imported from bot.slack.limits), so a
wrong constant in the bot cannot make its own check pass. Sources: docs.slack.dev
reference/views/modal-views, reference/block-kit/blocks, block-elements,
composition-objects, reference/methods/chat.postMessage. Each function returns a list of
problems ("path: what"), empty when the payload would be accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Problems = list[str]

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
TEXT_OBJECT = 3000


def _len_at_most(problems: Problems, path: str, value: Any, limit: int) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        problems.append(f"{path}: not a string ({type(value).__name__})")
    elif len(value) > limit:
        problems.append(f"{path}: {len(value)} characters > {limit}")


def _text(problems: Problems, path: str, obj: Any, limit: int, *, plain_only: bool = False) -> None:
    """A text object: plain_text / mrkdwn, 1..limit characters."""
    if not isinstance(obj, dict):
        problems.append(f"{path}: text object missing")
        return
    kind = obj.get("type")
    if kind not in ({"plain_text"} if plain_only else {"plain_text", "mrkdwn"}):
        problems.append(f"{path}: text type {kind!r} not allowed here")
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        problems.append(f"{path}: empty text")
        return
    _len_at_most(problems, f"{path}.text", text, min(limit, TEXT_OBJECT))


def _option(problems: Problems, path: str, option: Any) -> None:
    _text(problems, f"{path}.text", option.get("text"), 75)
    _len_at_most(problems, f"{path}.value", option.get("value"), 150)


def _button(problems: Problems, path: str, el: dict[str, Any]) -> None:
    _text(problems, f"{path}.text", el.get("text"), 75, plain_only=True)
    _len_at_most(problems, f"{path}.value", el.get("value"), 2000)
    _len_at_most(problems, f"{path}.url", el.get("url"), 3000)


def _static_select(problems: Problems, path: str, el: dict[str, Any]) -> None:
    if "placeholder" in el:
        _text(problems, f"{path}.placeholder", el["placeholder"], 150, plain_only=True)
    options = el.get("options") or []
    if not 1 <= len(options) <= 100:
        problems.append(f"{path}.options: {len(options)} options (1..100)")
    for i, option in enumerate(options):
        _option(problems, f"{path}.options[{i}]", option)
    initial = el.get("initial_option")
    if initial is not None:
        _option(problems, f"{path}.initial_option", initial)
        if initial not in options:
            problems.append(f"{path}.initial_option: not one of the options")


def _text_input(problems: Problems, path: str, el: dict[str, Any]) -> None:
    if "placeholder" in el:
        _text(problems, f"{path}.placeholder", el["placeholder"], 150, plain_only=True)
    max_length = el.get("max_length")
    if max_length is not None and not 1 <= int(max_length) <= 3000:
        problems.append(f"{path}.max_length: {max_length} (1..3000)")
    limit = min(int(max_length), 3000) if max_length is not None else 3000
    _len_at_most(problems, f"{path}.initial_value", el.get("initial_value"), limit)


ELEMENTS: dict[str, Callable[[Problems, str, dict[str, Any]], None]] = {
    "button": _button,
    "static_select": _static_select,
    "plain_text_input": _text_input,
}


def _element(problems: Problems, path: str, el: Any) -> None:
    if not isinstance(el, dict):
        problems.append(f"{path}: element is not an object")
        return
    check = ELEMENTS.get(str(el.get("type")))
    if check is None:
        problems.append(f"{path}: element type {el.get('type')!r} is not checked here")
        return
    _len_at_most(problems, f"{path}.action_id", el.get("action_id"), 255)
    check(problems, path, el)


def _section(problems: Problems, path: str, block: dict[str, Any]) -> None:
    if "text" not in block and "fields" not in block:
        problems.append(f"{path}: section without text or fields")
    if "text" in block:
        _text(problems, f"{path}.text", block["text"], 3000)
    fields = block.get("fields") or []
    if len(fields) > 10:
        problems.append(f"{path}.fields: {len(fields)} > 10")
    for i, field in enumerate(fields):
        _text(problems, f"{path}.fields[{i}]", field, 2000)
    if "accessory" in block:
        _element(problems, f"{path}.accessory", block["accessory"])


def _header(problems: Problems, path: str, block: dict[str, Any]) -> None:
    _text(problems, f"{path}.text", block.get("text"), 150, plain_only=True)


def _context(problems: Problems, path: str, block: dict[str, Any]) -> None:
    elements = block.get("elements") or []
    if not 1 <= len(elements) <= 10:
        problems.append(f"{path}.elements: {len(elements)} (1..10)")
    for i, el in enumerate(elements):
        _text(problems, f"{path}.elements[{i}]", el, TEXT_OBJECT)


def _actions(problems: Problems, path: str, block: dict[str, Any]) -> None:
    elements = block.get("elements") or []
    if not 1 <= len(elements) <= 25:
        problems.append(f"{path}.elements: {len(elements)} (1..25)")
    action_ids = [el.get("action_id") for el in elements if isinstance(el, dict)]
    if len(action_ids) != len(set(action_ids)):
        problems.append(f"{path}.elements: duplicate action_id")
    for i, el in enumerate(elements):
        _element(problems, f"{path}.elements[{i}]", el)


def _input(problems: Problems, path: str, block: dict[str, Any]) -> None:
    _text(problems, f"{path}.label", block.get("label"), 2000, plain_only=True)
    if "hint" in block:
        _text(problems, f"{path}.hint", block["hint"], 2000, plain_only=True)
    _element(problems, f"{path}.element", block.get("element"))


def _divider(problems: Problems, path: str, block: dict[str, Any]) -> None:
    return


BLOCKS: dict[str, Callable[[Problems, str, dict[str, Any]], None]] = {
    "section": _section,
    "header": _header,
    "context": _context,
    "actions": _actions,
    "input": _input,
    "divider": _divider,
}


def block_problems(blocks: Any, *, limit: int) -> Problems:
    """Every problem in a list of blocks (a message: limit 50; a modal / Home tab: 100)."""
    problems: Problems = []
    if not isinstance(blocks, list):
        return [f"blocks: not a list ({type(blocks).__name__})"]
    if len(blocks) > limit:
        problems.append(f"blocks: {len(blocks)} blocks > {limit}")
    block_ids = [b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("block_id")]
    if len(block_ids) != len(set(block_ids)):
        problems.append("blocks: duplicate block_id")
    for i, block in enumerate(blocks):
        path = f"blocks[{i}]"
        if not isinstance(block, dict):
            problems.append(f"{path}: not an object")
            continue
        _len_at_most(problems, f"{path}.block_id", block.get("block_id"), 255)
        check = BLOCKS.get(str(block.get("type")))
        if check is None:
            problems.append(f"{path}: block type {block.get('type')!r} is not checked here")
            continue
        check(problems, path, block)
    return problems


def message_problems(body: dict[str, Any]) -> Problems:
    """chat.postMessage / chat.postEphemeral / chat.update / response_url bodies."""
    problems: Problems = []
    text = body.get("text")
    _len_at_most(problems, "text", text, 40_000)
    blocks = body.get("blocks")
    if blocks is not None:
        problems += block_problems(blocks, limit=MESSAGE_BLOCKS)
    elif not text:
        problems.append("text: neither text nor blocks")
    return problems


def view_problems(view: Any) -> Problems:
    """views.open / push / update / publish: a modal or a Home tab."""
    if not isinstance(view, dict):
        return ["view: not an object"]
    problems: Problems = []
    kind = view.get("type")
    if kind == "modal":
        _text(problems, "view.title", view.get("title"), 24, plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                _text(problems, f"view.{key}", view[key], 24, plain_only=True)
        has_input = any(b.get("type") == "input" for b in view.get("blocks") or [])
        if has_input and "submit" not in view:
            problems.append("view.submit: required when the modal has input blocks")
    elif kind != "home":
        problems.append(f"view.type: {kind!r}")
    _len_at_most(problems, "view.private_metadata", view.get("private_metadata"), 3000)
    _len_at_most(problems, "view.callback_id", view.get("callback_id"), 255)
    return problems + block_problems(view.get("blocks"), limit=VIEW_BLOCKS)
