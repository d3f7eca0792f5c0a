"""Slack's documented size limits for what we send, and the one helper that keeps to them.

Sources (docs.slack.dev): reference/views/modal-views (title/submit/close 24, blocks 100,
private_metadata 3000, callback_id 255), reference/block-kit/blocks (50 blocks per message;
section text 3000, fields 10 × 2000; header 150; context 10 elements; actions 25 elements;
input label/hint 2000; block_id 255), composition-objects/option-object (text 75, value 150),
block-elements (button text 75, value 2000, action_id 255; select placeholder 150, 100
options; plain_text_input placeholder 150, max_length/initial_value 3000),
reference/methods/chat.postMessage (text truncated past 40,000; keep under 4,000).
A payload over any of these is refused whole (`invalid_blocks`), so every builder clips.
"""

from __future__ import annotations

ELLIPSIS = "…"

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100  # modal and App Home
MODAL_TITLE = 24
MODAL_BUTTON = 24  # submit / close
PRIVATE_METADATA = 3000
CALLBACK_ID = 255
SECTION_TEXT = 3000
SECTION_FIELD = 2000
SECTION_FIELDS = 10
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
CONTEXT_TEXT = 3000  # a text object's own maximum
ACTIONS_ELEMENTS = 25
INPUT_LABEL = 2000
INPUT_HINT = 2000
BLOCK_ID = 255
ACTION_ID = 255
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
OPTION_TEXT = 75
OPTION_VALUE = 150
SELECT_OPTIONS = 100
PLACEHOLDER = 150
TEXT_INPUT = 3000  # plain_text_input max_length and initial_value
MESSAGE_TEXT = 4000  # chat.postMessage `text`: Slack truncates at 40,000, advises 4,000


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, marked with … when cut."""
    if limit < 1:
        raise ValueError("limit must be positive")
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS
