"""The conformance table: (provider, scenario) -> transcript + the abstract outcome it must give.

Every row is a recorded transcript under tests/data/<api>/ (the same bytes the per-provider
wire tests decode), except OpenAI Chat's ``unknown_events``, which had no transcript and lives
under tests/conformance/data/openai_chat/ (see its row). The outcome is deliberately abstract:
the text, the reasoning, the tool calls as (name, parsed arguments) pairs, the Usage counts,
the normalised and raw finish reason, or, for a failure, the error class and what was
received before it. Any provider, however its wire format looks, must reach it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, TypeAlias

import attrs

from eventide import (
    Error,
    FinishReason,
    OverloadedError,
    ProtocolError,
    RateLimitError,
    ServerError,
)
from eventide.providers import Anthropic, Gemini, Ollama, OpenAIChat, OpenAIResponses
from eventide.wire import (
    AnthropicDecoder,
    GeminiDecoder,
    OllamaDecoder,
    OpenAIChatDecoder,
    OpenAIResponsesDecoder,
)

if TYPE_CHECKING:
    from eventide.providers import Provider
    from eventide.wire import Decoder

__all__ = [
    "ANTHROPIC",
    "APIS",
    "CASES",
    "GEMINI",
    "OLLAMA",
    "OPENAI_CHAT",
    "OPENAI_RESPONSES",
    "Api",
    "Case",
    "Kind",
    "Outcome",
    "case_id",
]

TESTS: Final = Path(__file__).resolve().parents[1]
DATA: Final = TESTS / "data"
OWN_DATA: Final = Path(__file__).resolve().parent / "data"

Kind: TypeAlias = Literal[
    "text",
    "reasoning",
    "refusal",
    "tool_calls",
    "usage",
    "finish",
    "error",
    "truncated",
    "unknown",
    "served_model",
]
"""What a row is there to show (a row may show more: every row checks the whole contract)."""


class MakesDecoder(Protocol):
    def __call__(self, *, provider: str, requested_model: str) -> Decoder: ...


class MakesProvider(Protocol):
    def __call__(self, *, base_url: str, api_key: str, model: str) -> Provider: ...


@attrs.frozen
class Api:
    """One wire format and the provider class that speaks it.

    Attributes:
        name: The directory of its transcripts under tests/data/.
        provider: The provider name that `Metadata` and errors carry (the class's default).
        decoder: The sans-IO decoder class.
        provider_class: The HTTP provider class.
        framing: ``"sse"`` or ``"ndjson"``: how the body divides into events.
        content_type: What a real server sends as the response's content type.
        terminal_event: Whether the format has a terminal event (Gemini ends at EOF).
    """

    name: str
    provider: str
    decoder: MakesDecoder
    provider_class: MakesProvider
    framing: Literal["sse", "ndjson"]
    content_type: str
    terminal_event: bool = True

    @property
    def extension(self) -> str:
        return "ndjson" if self.framing == "ndjson" else "sse"


OPENAI_CHAT = Api(
    "openai_chat", "openai", OpenAIChatDecoder, OpenAIChat, "sse", "text/event-stream"
)
OPENAI_RESPONSES = Api(
    "openai_responses",
    "openai-responses",
    OpenAIResponsesDecoder,
    OpenAIResponses,
    "sse",
    "text/event-stream",
)
ANTHROPIC = Api(
    "anthropic", "anthropic", AnthropicDecoder, Anthropic, "sse", "text/event-stream; charset=utf-8"
)
GEMINI = Api(
    "gemini", "gemini", GeminiDecoder, Gemini, "sse", "text/event-stream", terminal_event=False
)
OLLAMA = Api("ollama", "ollama", OllamaDecoder, Ollama, "ndjson", "application/x-ndjson")

APIS: Final = (OPENAI_CHAT, OPENAI_RESPONSES, ANTHROPIC, GEMINI, OLLAMA)


@attrs.frozen
class Outcome:
    """What a response amounts to, whatever the wire format.

    Attributes:
        text: Every `TextDelta` joined (for a failure: those delivered before the error).
        reasoning: Every `ReasoningDelta` joined.
        tool_calls: Each `ToolCall` as (name, arguments parsed as JSON), in order.
        usage: (input_tokens, output_tokens) of the one `Usage`, or None for no `Usage`.
        cache: (cache_read_tokens, cache_write_tokens) of the `Usage` when either is a
            positive count (a prompt cache was used), else None.
        refusal: Every `RefusalDelta` joined.
        finish: (reason, raw_reason) of the `Finish`, or None (a failure has none).
        error: The exact class of the error that ended the stream, or None.
        late_model: The served model the server named only after `Metadata`: `Finish.model`,
            `Completion.late_model` (None when `Metadata` named it, or nothing did).
    """

    text: str = ""
    reasoning: str = ""
    tool_calls: tuple[tuple[str, Any], ...] = ()
    usage: tuple[int | None, int | None] | None = None
    finish: tuple[FinishReason, str | None] | None = None
    error: type[Error] | None = None  # compared by identity: a subclass does not match
    cache: tuple[int | None, int | None] | None = None
    refusal: str = ""
    late_model: str | None = None


def complete(
    finish: FinishReason,
    raw: str | None,
    *,
    text: str = "",
    reasoning: str = "",
    tool_calls: tuple[tuple[str, Any], ...] = (),
    usage: tuple[int | None, int | None] | None = None,
    cache: tuple[int | None, int | None] | None = None,
    refusal: str = "",
    late_model: str | None = None,
) -> Outcome:
    return Outcome(
        text,
        reasoning,
        tool_calls,
        usage,
        (finish, raw),
        cache=cache,
        refusal=refusal,
        late_model=late_model,
    )


def failed(
    error: type[Error],
    *,
    text: str = "",
    reasoning: str = "",
    tool_calls: tuple[tuple[str, Any], ...] = (),
) -> Outcome:
    return Outcome(text, reasoning, tool_calls, None, None, error)


@attrs.frozen
class Case:
    """One row: a transcript of one provider, the scenario it shows, and what must come out.

    Attributes:
        api: The provider.
        scenario: The row's name, unique per provider.
        kind: What the row is there to show.
        path: The transcript file.
        requested_model: The model asked for.
        model: The model `Metadata` must report (the served one).
        response_id: The `Metadata.response_id` (None where the API has none).
        expected: The abstract outcome.
        complete_at_end: The body has no terminal event: it is complete because it ended
            cleanly after its finish reason (docs/providers.md, "When a stream is complete"),
            so the decoder is done only at `end()`.
        known_break: Why this row breaks the event contract today (its contract tests are
            strict xfails, so a fix turns them into a loud XPASS); None when it keeps it.
    """

    api: Api
    scenario: str
    kind: Kind
    path: Path
    requested_model: str
    model: str
    response_id: str | None
    expected: Outcome
    known_break: str | None = None
    complete_at_end: bool = False

    @property
    def wire(self) -> bytes:
        return self.path.read_bytes()

    @property
    def fails(self) -> bool:
        return self.expected.error is not None


def case_id(case: Case) -> str:
    return f"{case.api.name}-{case.scenario}"


def _rows(api: Api, rows: list[tuple[str, Kind, str, str, str, str | None, Outcome]]) -> list[Case]:
    return [
        Case(
            api,
            scenario,
            kind,
            DATA / api.name / f"{stem}.{api.extension}",
            requested_model,
            model,
            response_id,
            expected,
        )
        for scenario, kind, stem, requested_model, model, response_id, expected in rows
    ]


# -- OpenAI Chat Completions -------------------------------------------------------------------

MINI = "gpt-4o-mini-2024-07-18"
GPT4O = "gpt-4o-2024-08-06"

_OPENAI_CHAT = _rows(
    OPENAI_CHAT,
    [
        (
            "text",
            "text",
            "plain_text",
            "gpt-4o-mini",
            MINI,
            "chatcmpl-BPlain0Text1x9Kq2Wm4Zr7",
            complete(
                "stop", "stop", text="Bonjour \u00e0 tous \u2014 \u00e7a va\u2028? \U0001f44b"
            ),
        ),
        (
            "reasoning",
            "reasoning",
            "deepseek_reasoning_content",
            "deepseek-reasoner",
            "deepseek-reasoner",
            "0f3b5c8e-6d2a-4e71-9c4b-1a7d3e9f2b60",
            complete(
                "stop",
                "stop",
                text="9.8 is larger.",
                reasoning="Compare 9.11 and 9.8: 0.8 > 0.11.",
                usage=(15, 120),
            ),
        ),
        (
            # OpenRouter: "reasoning" deltas, and SSE comment lines between the events.
            "reasoning_openrouter",
            "reasoning",
            "openrouter_reasoning",
            "deepseek/deepseek-r1",
            "deepseek/deepseek-r1",
            "gen-1741570600-Zq8vT2mXk4RbN6pYs1Lc",
            complete(
                "stop",
                "stop",
                text="Hi! How can I help?",
                reasoning="The user says hello.",
                usage=(9, 41),
            ),
        ),
        (
            "tool_calls_parallel",
            "tool_calls",
            "tool_calls_parallel",
            "gpt-4o",
            GPT4O,
            "chatcmpl-BTools3Par4llelQ8s1Yd6Nf",
            complete(
                "tool_calls",
                "tool_calls",
                tool_calls=(
                    ("get_weather", {"location": "Paris"}),
                    ("get_weather", {"location": "Tokyo"}),
                    ("get_time", {"timezone": "Asia/Tokyo"}),
                ),
                usage=(82, 63),
            ),
        ),
        (
            "refusal",
            "refusal",
            "refusal",
            "gpt-4o",
            GPT4O,
            "chatcmpl-BRefu5al7Sx2Qp9Lm4Vt8Nc1",
            complete(
                "stop", "stop", refusal="I'm sorry, I can't help with that request.", usage=(86, 10)
            ),
        ),
        (
            "usage",
            "usage",
            "include_usage",
            "gpt-4o",
            GPT4O,
            "chatcmpl-BUsage2Chunk8Hn3Xc5Vb1Lp",
            complete(
                "stop",
                "stop",
                text="The sky is blue because of Rayleigh scattering.",
                usage=(1216, 9),
                cache=(1024, None),
            ),
        ),
        (
            "no_usage",
            "usage",
            "no_usage",
            "gpt-4o-mini",
            MINI,
            "chatcmpl-BNoUs4ge19Rep0rtedYt7",
            complete("stop", "stop", text="No numbers."),
        ),
        (
            "finish_length",
            "finish",
            "finish_length",
            "gpt-4o-mini",
            MINI,
            "chatcmpl-BLength17MaxT0kensZ3",
            complete("length", "length", text="Once upon a time, in a land far", usage=(12, 8)),
        ),
        (
            "finish_content_filter",
            "finish",
            "finish_content_filter",
            "gpt-4o",
            GPT4O,
            "chatcmpl-BF1lter18C0ntentXq4",
            complete("content_filter", "content_filter", text="Here is how"),
        ),
        (
            "error_mid_stream",
            "error",
            "error_mid_stream",
            "gpt-4o",
            GPT4O,
            "chatcmpl-BErr0rM1dStre4mKp6Ts",
            failed(ServerError, text="The answer is"),
        ),
        (
            "error_openrouter_502",
            "error",
            "error_openrouter_502",
            "anthropic/claude-3.5-sonnet",
            "anthropic/claude-3.5-sonnet",
            "gen-1741571200-Ab3dE5gH7jK9mN1pQ3sT",
            failed(ServerError, text="Let me think"),
        ),
        (
            "truncated_mid_event",
            "truncated",
            "truncated_mid_event",
            "gpt-4o-mini",
            MINI,
            "chatcmpl-BTrunc4tedM1dEv3ntQa2",
            failed(ProtocolError, text="Once upon a time"),
        ),
        (
            # Ended cleanly on an event boundary, before any finish_reason.
            "truncated_before_finish",
            "truncated",
            "truncated_before_finish",
            "gpt-4o-mini",
            MINI,
            "chatcmpl-BTrunc4tedB4F1n1shX",
            failed(ProtocolError, text="Done"),
        ),
        (
            # A finish_reason, then the usage chunk cut short: still a truncation.
            "truncated_mid_event_after_finish",
            "truncated",
            "truncated_mid_event_after_finish",
            "gpt-4o-mini",
            MINI,
            "chatcmpl-BCutUs4ge4fterF1n1sh",
            failed(ProtocolError, text="Done"),
        ),
        (
            # A finish_reason, then a clean end without [DONE]: complete.
            "finish_without_done",
            "finish",
            "finish_without_done",
            "gpt-4o-mini",
            MINI,
            "chatcmpl-BTrunc4ted4fterF1n1sh",
            complete("stop", "stop", text="Done"),
        ),
        (
            # Bytes captured from Hugging Face `transformers serve`, which never sends [DONE].
            "finish_without_done_transformers_serve",
            "finish",
            "transformers_serve_without_done",
            "tiny-hf",
            "models/tiny-hf",
            "fecaba22-dd3f-4405-b8e6-62847e0ddbf1",
            complete(
                "stop",
                "stop",
                text="\n\nHello, world! The sky is blue. \u2728",
                reasoning="Let me think briefly",
                usage=(21, 21),
            ),
        ),
        (
            # Gemini's OpenAI-compatible endpoint: whole calls with an id and no index, and
            # "stop" for an answer that is tool calls (kept as the server said it).
            "tool_calls_no_index_gemini_compat",
            "finish",
            "gemini_compat_tool_calls_no_index",
            "gemini-2.5-flash",
            "gemini-2.5-flash",
            None,
            Outcome(
                tool_calls=(
                    ("get_weather", {"location": "Paris"}),
                    ("get_weather", {"location": "Tokyo"}),
                    ("get_time", {"timezone": "Asia/Tokyo"}),
                ),
                usage=(96, 41),
                finish=("stop", "stop"),
            ),
        ),
        (
            # Fragments without index that repeat the id and name in every one.
            "tool_calls_no_index_repeated_id",
            "tool_calls",
            "tool_calls_no_index_repeated_id",
            "mock-gpt",
            "mock-gpt",
            "chatcmpl-mock-7f3a9c",
            complete(
                "tool_calls",
                "tool_calls",
                tool_calls=(
                    ("search_docs", {"query": "sse framing", "limit": 3}),
                    ("open_page", {"url": "https://example.org/sse"}),
                ),
            ),
        ),
        (
            # Fragments without index whose later pieces carry an empty id.
            "tool_calls_no_index_continuations",
            "tool_calls",
            "tool_calls_no_index_continuations",
            "gemini-2.0-flash",
            "gemini-2.0-flash",
            "chatcmpl-proxy-19d2e4",
            complete(
                "tool_calls",
                "tool_calls",
                text="Saving both.",
                tool_calls=(
                    ("memory_save", {"content": "likes tea", "tags": "food"}),
                    ("memory_save", {"content": "lives in Lyon", "tags": "home"}),
                ),
            ),
        ),
        (
            # Azure's placeholder first chunk (no model, no id, no choices) carries no event.
            "unknown_azure_placeholder",
            "unknown",
            "azure_placeholder",
            "my-gpt-4o-deployment",
            "gpt-4o-2024-11-20",
            "chatcmpl-BAzure8Pl4ceh0lderVx2Tq",
            complete("stop", "stop", text="Hello from Azure."),
        ),
    ],
)

# No transcript under tests/data/openai_chat/ had an event type the format does not define
# (the Chat Completions stream is data-only), so this one was written for the suite: chunks in
# the shape of the API reference's "chat completion chunk object" (with the documented
# top-level "obfuscation" field of stream_options.include_obfuscation), SSE comment lines, and
# two events with an `event:` type (JSON data). It lives under tests/conformance/data/ because
# test_openai_transcripts_are_all_used (tests/wire) insists that every file under
# tests/data/openai_chat/ has its own expectations there.
_OPENAI_CHAT.append(
    Case(
        OPENAI_CHAT,
        "unknown_events",
        "unknown",
        OWN_DATA / "openai_chat" / "unknown_events.sse",
        "gpt-4o-mini",
        MINI,
        "chatcmpl-BUnkn0wnEv3ntsSk1pQz4Wx",
        complete("stop", "stop", text="Unknown events are skipped."),
    )
)

# -- OpenAI Responses --------------------------------------------------------------------------

_OPENAI_RESPONSES = _rows(
    OPENAI_RESPONSES,
    [
        (
            "text",
            "text",
            "text",
            "gpt-4.1-mini",
            "gpt-4.1-mini-2025-04-14",
            "resp_68b1f0a2c4d08190a3e5b7c9d1f3a5b70e2c4d6f8a0b1c3d",
            complete(
                "stop",
                "completed",
                text="Bonjour \u00e0 tous \u2014 \u00e7a va\u2028? \U0001f44b",
                usage=(18, 9),
            ),
        ),
        (
            "reasoning",
            "reasoning",
            "reasoning_summary",
            "o4-mini",
            "o4-mini-2025-04-16",
            "resp_68b1f1b0d2e48190c5a7e9b1d3f5a7c90e2c4d6f8a0b1c3d",
            complete(
                "stop",
                "completed",
                text="9.8 is larger.",
                reasoning="**Comparing decimals**\n\nThe user asks which number is larger."
                "\n\n**Checking tenths**\n\n9.8 has 8 tenths, 9.11 has only 1.",
                usage=(15, 620),
            ),
        ),
        (
            "reasoning_text",
            "reasoning",
            "reasoning_text",
            "openai/gpt-oss-20b",
            "openai/gpt-oss-20b",
            "resp_9c2f6a1d0b7e4e3c8a5d2f1b6e9c3a7d",
            complete(
                "stop",
                "completed",
                text="Paris.",
                reasoning="We need to answer the capital of France.",
                usage=(71, 19),
            ),
        ),
        (
            "tool_calls_parallel",
            "tool_calls",
            "tool_calls_parallel",
            "o4-mini",
            "o4-mini-2025-04-16",
            "resp_68b1f2c4a6b88190e1f3a5c7e9b1d3f50e2c4d6f8a0b1c3d",
            complete(
                "tool_calls",
                "completed",
                tool_calls=(
                    ("get_weather", {"location": "Paris"}),
                    ("get_weather", {"location": "Tokyo"}),
                    ("get_time", {"timezone": "Asia/Tokyo"}),
                ),
                usage=(82, 140),
            ),
        ),
        (
            "refusal",
            "refusal",
            "refusal",
            "gpt-4o",
            GPT4O,
            "resp_68b1f7a1c3e58190b2d4f6a8c0e2a4b60e2c4d6f8a0b1c3d",
            complete(
                "stop",
                "completed",
                refusal="I'm sorry, I can't help with that request.",
                usage=(74, 10),
            ),
        ),
        (
            "usage",
            "usage",
            "usage_cached",
            "gpt-4o",
            GPT4O,
            "resp_68b1f3d0e2f48190a7c9e1b3d5f7a9c10e2c4d6f8a0b1c3d",
            complete(
                "stop",
                "completed",
                text="Hold the reset button for 10 seconds.",
                usage=(2006, 11),
                cache=(1920, None),
            ),
        ),
        (
            "no_usage",
            "usage",
            "no_usage",
            "qwen3-32b",
            "qwen3-32b",
            "resp_b7e0c3f6a9d24c1e",
            complete("stop", "completed", text="No numbers."),
        ),
        (
            "finish_max_output_tokens",
            "finish",
            "incomplete_max_output_tokens",
            "gpt-4.1-mini",
            "gpt-4.1-mini-2025-04-14",
            "resp_68b1f4e2a4c68190c9e1a3c5e7a9b1d30e2c4d6f8a0b1c3d",
            complete(
                "length",
                "max_output_tokens",
                text="Once upon a time, in a land far",
                usage=(12, 16),
            ),
        ),
        (
            "finish_content_filter",
            "finish",
            "incomplete_content_filter",
            "gpt-4o",
            GPT4O,
            "resp_68b1f5f4c6e88190e1a3c5e7a9b1d3f50e2c4d6f8a0b1c3d",
            complete("content_filter", "content_filter", text="Here is how", usage=(30, 3)),
        ),
        (
            "error_response_failed",
            "error",
            "error_response_failed",
            "gpt-4o",
            GPT4O,
            "resp_68b1f7b8a0c28190d6f8a0c2e4a6b8d00e2c4d6f8a0b1c3d",
            failed(ServerError, text="The answer is"),
        ),
        (
            "error_event",
            "error",
            "error_event",
            "o4-mini",
            "o4-mini-2025-04-16",
            "resp_68b1f8c0b2d48190e8a0c2e4a6b8d0f20e2c4d6f8a0b1c3d",
            failed(RateLimitError),
        ),
        (
            "error_event_nested",
            "error",
            "error_event_nested",
            "gpt-4.1",
            "gpt-4.1-2025-04-14",
            "resp_68b1f9d2c4e68190f9b1d3f5a7c9e1a30e2c4d6f8a0b1c3d",
            failed(RateLimitError, text="Let me"),
        ),
        (
            "truncated_mid_event",
            "truncated",
            "truncated_mid_event",
            "gpt-4.1-mini",
            "gpt-4.1-mini-2025-04-14",
            "resp_68b1fae4d6f88190a1c3e5a7c9e1b3d50e2c4d6f8a0b1c3d",
            failed(ProtocolError, text="Once upon a time"),
        ),
        (
            "truncated_after_item_done",
            "truncated",
            "truncated_after_item_done",
            "gpt-4.1",
            "gpt-4.1-2025-04-14",
            "resp_68b1fbf6e8a08190c3e5a7c9e1b3d5f70e2c4d6f8a0b1c3d",
            failed(ProtocolError, tool_calls=(("search_docs", {"query": "sse"}),)),
        ),
        (
            "unknown_events",
            "unknown",
            "unknown_events",
            "gpt-4.1",
            "gpt-4.1-2025-04-14",
            "resp_68b1f6a6e8fa8190a3c5e7a9b1d3f5a70e2c4d6f8a0b1c3d",
            complete("stop", "completed", text="It streams events.", usage=(310, 42)),
        ),
    ],
)

# -- Anthropic Messages ------------------------------------------------------------------------

SONNET = "claude-sonnet-4-5-20250929"
HAIKU = "claude-haiku-4-5-20251001"

_ANTHROPIC = _rows(
    ANTHROPIC,
    [
        (
            "text",
            "text",
            "text",
            "claude-sonnet-4-5",
            SONNET,
            "msg_01XFDUDYJgAACzvnptvVoYEL",
            complete(
                "stop",
                "end_turn",
                text="Bonjour \u00e0 tous \u2014 \u00e7a va ? \U0001f44b line\u2028sep",
                usage=(25, 15),
            ),
        ),
        (
            "reasoning",
            "reasoning",
            "reasoning",
            "claude-sonnet-4-5",
            SONNET,
            "msg_01Thnk8Rs4sQv2LmN7pWx3Yz",
            complete(
                "stop",
                "end_turn",
                text="27 * 453 = **12,231**",
                reasoning="Let me solve this step by step:\n\n1. 27 * 453 = 27 * 400 + 27 * 53"
                "\n2. 10800 + 1431 = 12231",
                usage=(48, 96),
            ),
        ),
        (
            "tool_calls_parallel",
            "tool_calls",
            "tool_calls_parallel",
            "claude-sonnet-4-5",
            SONNET,
            "msg_014p7gG3wDgGV9EUtLvnow3U",
            complete(
                "tool_calls",
                "tool_use",
                text="I'll check both cities.",
                tool_calls=(
                    ("get_weather", {"location": "Paris", "unit": "c"}),
                    ("get_weather", {"location": "T\u014dky\u014d", "unit": "c"}),
                    ("get_time", {"timezone": "Asia/Tokyo"}),
                ),
                usage=(472, 143),
            ),
        ),
        (
            "usage",
            "usage",
            "usage_cache",
            "claude-sonnet-4-5",
            SONNET,
            "msg_01Cach3dUs4geW9kPq2Zx7Rt",
            complete(  # input 12 after the cache breakpoint + 2048 read from the cache
                "stop",
                "end_turn",
                text="Section 3 says the term is two years.",
                usage=(2060, 27),
                cache=(2048, 0),
            ),
        ),
        (
            "usage_cache_write",
            "usage",
            "usage_cache_write",
            "claude-sonnet-4-5",
            SONNET,
            "msg_01Cach3Wr1teHv7Lq2Nx5Pd",
            complete(  # input 21 after the cache breakpoint + 1830 written to the cache
                "stop",
                "end_turn",
                text="The notice period is 30 days.",
                usage=(1851, 9),
                cache=(0, 1830),
            ),
        ),
        (
            "finish_max_tokens",
            "finish",
            "finish_max_tokens",
            "claude-haiku-4-5",
            HAIKU,
            "msg_01MaxT0k3nsLm8Qw2Xv5Nb7c",
            complete("length", "max_tokens", text="Once upon a time, in a land far", usage=(14, 8)),
        ),
        (
            "finish_stop_sequence",
            "finish",
            "finish_stop_sequence",
            "claude-haiku-4-5",
            HAIKU,
            "msg_01St0pS3qu3nc3Hv4Jk9Lw2e",
            complete("stop", "stop_sequence", text="1, 2, 3, 4", usage=(31, 12)),
        ),
        (
            "finish_refusal",
            "finish",
            "finish_refusal",
            "claude-sonnet-4-5",
            SONNET,
            "msg_01R3fu5alSt0pQz7Wn4Xk1Vb",
            complete("refusal", "refusal", text="Here is how", usage=(40, 5)),
        ),
        (
            "finish_pause_turn",
            "finish",
            "finish_pause_turn",
            "claude-sonnet-4-5",
            SONNET,
            "msg_01Pau5eTurnWs8Hq3Mz6Kv2d",
            complete("other", "pause_turn", text="I'll search for that.", usage=(2679, 59)),
        ),
        (
            "finish_model_context_window_exceeded",
            "finish",
            "finish_context_window_exceeded",
            "claude-sonnet-4-5",
            SONNET,
            "msg_01C0nt3xtW1nd0wEx9Lp3Qa6",
            complete(
                "length",
                "model_context_window_exceeded",
                text="In summary, the",
                usage=(199990, 10),
            ),
        ),
        (
            "error_overloaded",
            "error",
            "error_overloaded",
            "claude-sonnet-4-5",
            SONNET,
            "msg_01Ov3rl0ad3dMd5tr3amQz4X",
            failed(OverloadedError, text="The answer is"),
        ),
        (
            # The call never completed: its fragments were delivered, no ToolCall.
            "error_api_mid_tool_call",
            "error",
            "error_api_mid_tool_call",
            "claude-sonnet-4-5",
            SONNET,
            "msg_01Ap1Err0rM1dT00lWq3Ze8Y",
            failed(ServerError),
        ),
        (
            "truncated_mid_event",
            "truncated",
            "truncated_mid_event",
            "claude-haiku-4-5",
            HAIKU,
            "msg_01Trunc4tedM1dEv3ntQa2Lp",
            failed(ProtocolError, text="Once upon a time"),
        ),
        (
            # Ended cleanly on an event boundary, before message_delta gave a stop_reason.
            "truncated_before_stop_reason",
            "truncated",
            "truncated_before_stop_reason",
            "claude-haiku-4-5",
            HAIKU,
            "msg_01Trunc4tedB4St0pR34s0n",
            failed(ProtocolError, text="Done"),
        ),
        (
            # message_delta gave the stop_reason, then a clean end without message_stop.
            "stop_reason_without_message_stop",
            "finish",
            "stop_reason_without_message_stop",
            "claude-haiku-4-5",
            HAIKU,
            "msg_01Trunc4ted4fterD3lt4Mx",
            complete("stop", "end_turn", text="Done", usage=(11, 2)),
        ),
        (
            "unknown_events",
            "unknown",
            "unknown_events",
            "claude-opus-4-1",
            "claude-opus-4-1-20250805",
            "msg_01Unkn0wnEv3ntsPz5Hq8Wm1",
            complete(
                "stop",
                "end_turn",
                text="The grass is green and the sky is blue.",
                usage=(1530, 22),
            ),
        ),
    ],
)

# A tool without parameters: only ``partial_json: ""`` streams, so the fragments join to ""
# while the ToolCall says "{}" (the other providers stream "{}" itself, see Gemini's
# tool_call_no_arguments below).
_ANTHROPIC.append(
    Case(
        ANTHROPIC,
        "tool_call_no_arguments",
        "tool_calls",
        DATA / "anthropic" / "tool_call_no_input.sse",
        "claude-haiku-4-5",
        HAIKU,
        "msg_01NoArgsT00lCa11Kq8Vd2Wm",
        complete("tool_calls", "tool_use", tool_calls=(("get_current_time", {}),), usage=(388, 36)),
    )
)

# -- Gemini ------------------------------------------------------------------------------------

FLASH = "gemini-2.5-flash"
PRO = "gemini-2.5-pro"


_GEMINI = _rows(
    GEMINI,
    [
        (
            "text",
            "text",
            "text",
            "gemini-flash-latest",
            FLASH,
            "mCbOaOSwK-7Wz7IPxZjO8QU",
            complete(
                "stop",
                "STOP",
                text="Bonjour \u00e0 tous \u2014 \u00e7a va\u2028? \U0001f44b",
                usage=(6, 9),
            ),
        ),
        (
            "reasoning",
            "reasoning",
            "reasoning",
            PRO,
            PRO,
            "Xq0BafG2LNqUz7IP4NCSgAk",
            complete(
                "stop",
                "STOP",
                text="9.8 is larger than 9.11.",
                reasoning="**Comparing decimals**\n\nThe user asks which is larger: 9.11 or 9.8."
                " Compare the tenths: 8 > 1, so 9.8 is larger.",
                usage=(12, 91),
            ),
        ),
        (
            "tool_calls_parallel",
            "tool_calls",
            "tool_calls_parallel",
            FLASH,
            FLASH,
            "b4hLaZ3vBJqa1MkPvsbIqAw",
            complete(
                "tool_calls",
                "STOP",
                text="Let me check both cities.",
                tool_calls=(
                    ("get_weather", {"city": "Paris"}),
                    ("get_weather", {"city": "Tokyo"}),
                    ("get_time", {"timezone": "Asia/Tokyo"}),
                ),
                usage=(88, 41),
            ),
        ),
        (
            "tool_call_no_arguments",
            "tool_calls",
            "tool_call_ids",
            "gemini-3-flash-preview",
            "gemini-3-flash-preview",
            "kV5MaYm0D6-Bz7IP9p_Y0Ak",
            complete(
                "tool_calls",
                "STOP",
                tool_calls=(
                    (
                        "search_docs",
                        {
                            "query": "caf\u00e9 \u2014 menus",
                            "filters": {"lang": ["fr", "en"], "limit": 3, "exact": False},
                        },
                    ),
                    ("list_open_tabs", {}),
                ),
                usage=(140, 248),
            ),
        ),
        (
            "usage",
            "usage",
            "usage",
            FLASH,
            FLASH,
            "uL1NaZe8Ha6N1MkPqeTfmQ4",
            complete(
                "stop",
                "STOP",
                text="Summary of the contract: the lessee pays monthly."
                " Either party may end it with 30 days' notice.",
                usage=(2053, 137),
                cache=(1024, None),
            ),
        ),
        (
            "no_usage",
            "usage",
            "no_usage",
            "gemini-2.5-flash-lite",
            "gemini-2.5-flash-lite",
            "aW9OaZq4NuKb1MkP5r2Y8Ag",
            complete("stop", "STOP", text="No numbers."),
        ),
        (
            "finish_max_tokens",
            "finish",
            "finish_max_tokens",
            FLASH,
            FLASH,
            "p0RPaYuWLd6F1MkPzuKXsQk",
            complete("length", "MAX_TOKENS", text="Once upon a time, in a land far", usage=(10, 8)),
        ),
        (
            "finish_safety",
            "finish",
            "finish_safety",
            FLASH,
            FLASH,
            "c3RPaf2yA5aO1MkPg4-h0Ac",
            complete("content_filter", "SAFETY", text="Here is how", usage=(14, 3)),
        ),
        (
            "finish_recitation",
            "finish",
            "finish_recitation",
            FLASH,
            FLASH,
            "r2VQaZ7fEqCU1MkPkqWpuAE",
            complete(
                "content_filter", "RECITATION", text="It was the best of times,", usage=(11, 7)
            ),
        ),
        (
            # One chunk, no content: the output count is unknown.
            "finish_language",
            "finish",
            "finish_language",
            FLASH,
            FLASH,
            "bGFuZ3VhZ2UwMDFBQkNERUY",
            complete("content_filter", "LANGUAGE", usage=(19, None)),
        ),
        (
            "finish_blocklist",
            "finish",
            "finish_blocklist",
            FLASH,
            FLASH,
            "YmxvY2tsaXN0MDFBQkNERUY",
            complete("content_filter", "BLOCKLIST", text="The code word is", usage=(9, 5)),
        ),
        (
            "finish_prohibited_content",
            "finish",
            "finish_prohibited_content",
            FLASH,
            FLASH,
            "cHJvaGliaXRlZDAxQUJDREU",
            complete("content_filter", "PROHIBITED_CONTENT", usage=(23, None)),
        ),
        (
            "finish_spii",
            "finish",
            "finish_spii",
            FLASH,
            FLASH,
            "c3BpaTAwMDAwMUFCQ0RFRkc",
            complete("content_filter", "SPII", text="Her social security number is", usage=(17, 6)),
        ),
        (
            "finish_image_safety",
            "finish",
            "finish_image_safety",
            "gemini-2.5-flash-image",
            "gemini-2.5-flash-image",
            "aW1hZ2VzYWZldHkwMUFCQ0Q",
            complete("content_filter", "IMAGE_SAFETY", usage=(31, None)),
        ),
        (
            "finish_malformed_function_call",
            "finish",
            "finish_malformed_function_call",
            FLASH,
            FLASH,
            "bWFsZm9ybWVkMDFBQkNERUY",
            complete("error", "MALFORMED_FUNCTION_CALL", usage=(57, None)),
        ),
        (
            "finish_unexpected_tool_call",
            "finish",
            "finish_unexpected_tool_call",
            FLASH,
            FLASH,
            "dW5leHBlY3RlZDAxQUJDREU",
            complete("error", "UNEXPECTED_TOOL_CALL", usage=(44, None)),
        ),
        (
            "finish_other",
            "finish",
            "finish_other",
            FLASH,
            FLASH,
            "b3RoZXIwMDAwMDFBQkNERUY",
            complete("other", "OTHER", text="Partial", usage=(5, 1)),
        ),
        (
            # promptFeedback.blockReason, no candidates at all.
            "finish_prompt_blocked",
            "finish",
            "prompt_blocked",
            FLASH,
            FLASH,
            "YmxvY2tlZDAwMUFCQ0RFRkc",
            complete("content_filter", "PROHIBITED_CONTENT", usage=(9, None)),
        ),
        (
            "error_mid_stream",
            "error",
            "error_mid_stream",
            PRO,
            PRO,
            "ZXJyb3IwMDAwMUFCQ0RFRkc",
            failed(ServerError, text="The answer is"),
        ),
        (
            "error_overloaded",
            "error",
            "error_overloaded",
            PRO,
            PRO,
            "b3ZlcmxvYWRlZDAxQUJDREU",
            failed(OverloadedError, text="Let me"),
        ),
        (
            # Ends cleanly between events, but no chunk ever carried a finishReason.
            "truncated",
            "truncated",
            "truncated",
            FLASH,
            FLASH,
            "dHJ1bmNhdGVkMDFBQkNERUY",
            failed(ProtocolError, text="Once upon a time"),
        ),
        (
            "truncated_mid_event",
            "truncated",
            "truncated_mid_event",
            FLASH,
            FLASH,
            "Y3V0MDAwMDAwMUFCQ0RFRkc",
            failed(ProtocolError, text="Once upon"),
        ),
        (
            "unknown_event_types",
            "unknown",
            "unknown_event_types",
            FLASH,
            FLASH,
            "dW5rbm93bjAwMUFCQ0RFRkc",
            complete("stop", "STOP", text="Computing: 45.", usage=(21, 30)),
        ),
    ],
)

# -- Ollama ------------------------------------------------------------------------------------

_OLLAMA = _rows(
    OLLAMA,
    [
        (
            "text",
            "text",
            "text",
            "llama3.2",
            "llama3.2",
            None,
            complete(
                "stop",
                "stop",
                text="Le ciel est bleu \u2014 diffusion de Rayleigh & <Mie>"
                "\u2028\u2600\ufe0f \U0001f44b",
                usage=(31, 7),
            ),
        ),
        (
            "reasoning",
            "reasoning",
            "reasoning",
            "qwen3:8b",
            "qwen3:8b",
            None,
            complete(
                "stop",
                "stop",
                text="There are **3** r's.",
                reasoning='Okay, count the r\'s in "strawberry": s-t-r-a-w-b-e-r-r-y.\n',
                usage=(18, 64),
            ),
        ),
        (
            "tool_calls_parallel",
            "tool_calls",
            "tool_calls_parallel",
            "qwen3:8b",
            "qwen3:8b",
            None,
            complete(
                "tool_calls",
                "stop",
                reasoning="Two cities, two tools each.",
                tool_calls=(
                    ("get_temperature", {"city": "New York"}),
                    ("get_conditions", {"city": "New York"}),
                    ("get_temperature", {"city": "London", "unit": "celsius"}),
                    ("get_conditions", {"city": "London"}),
                ),
                usage=(242, 97),
            ),
        ),
        (
            # prompt_eval_count omitted (a prompt-cache hit): the input count is unknown.
            "usage",
            "usage",
            "usage_partial",
            "llama3.2",
            "llama3.2",
            None,
            complete("stop", "stop", text="Again: 42.", usage=(None, 5)),
        ),
        (
            "finish_length",
            "finish",
            "finish_length",
            "gemma3:4b",
            "gemma3:4b",
            None,
            complete("length", "length", text="Once upon a time, in", usage=(14, 4)),
        ),
        (
            "finish_load",
            "finish",
            "finish_load",
            "llama3.2",
            "llama3.2",
            None,
            complete("other", "load"),
        ),
        (
            "finish_unload",
            "finish",
            "finish_unload",
            "llama3.2",
            "llama3.2",
            None,
            complete("other", "unload"),
        ),
        (
            # No done_reason at all: the raw reason is unknown (None), not guessed.
            "finish_missing_reason",
            "finish",
            "finish_missing_reason",
            "llama2",
            "llama2",
            None,
            complete("other", None, text="The difference", usage=(61, 468)),
        ),
        (
            "error_mid_stream",
            "error",
            "error_mid_stream",
            "gemma3",
            "gemma3",
            None,
            failed(ServerError, text=" Yes. I"),
        ),
        (
            "truncated_mid_line",
            "truncated",
            "truncated_mid_line",
            "llama3.2",
            "llama3.2",
            None,
            failed(ProtocolError, text="Once upon a time"),
        ),
        (
            "truncated_between_lines",
            "truncated",
            "truncated_between_lines",
            "llama3.2",
            "llama3.2",
            None,
            failed(ProtocolError, text="Once upon a time"),
        ),
        (
            # Unknown fields, and a line of an unknown kind ("kind": "keepalive").
            "unknown_fields",
            "unknown",
            "unknown_fields",
            "gpt-oss:120b-cloud",
            "gpt-oss:120b-cloud",
            None,
            complete("stop", "stop", text="Hi there!", usage=(72, 9)),
        ),
    ],
)

# -- The served model, named only after Metadata -----------------------------------------------
# (docs/providers.md, "The served model"). Anthropic has no row: only message_start names the
# model, so it is never late.

_SERVED_MODEL = [
    *_rows(
        OPENAI_CHAT,
        [
            (
                "served_model_late",
                "served_model",
                "model_named_late",
                "qwen2.5-7b",
                "qwen2.5-7b",
                "chatcmpl-9Lt3M0d3lN4m3dL4te",
                complete(
                    "stop",
                    "stop",
                    text="Hi there.",
                    usage=(9, 3),
                    late_model="qwen2.5-7b-instruct-q4_k_m",
                ),
            )
        ],
    ),
    *_rows(
        OPENAI_RESPONSES,
        [
            (
                # llama-server's own bytes: the model is named first in response.completed.
                "served_model_late_llama_server",
                "served_model",
                "llama_server_model_late",
                "local",
                "local",
                "resp_2QTqpims85lDeuv2EzyadIbdbbUDY9Ln",
                complete(
                    "stop",
                    "completed",
                    text="Hello, world! The sky is blue. \u2728",
                    reasoning="Let me think briefly",
                    usage=(21, 21),
                    cache=(20, None),
                    late_model="tiny-llama",
                ),
            ),
            (
                # LiteLLM: the model beside the response object, at response.created.
                "served_model_beside_response",
                "served_model",
                "litellm_model_beside_response",
                "qwen3-8b",
                "hosted_vllm/Qwen/Qwen3-8B",
                "resp_0a7c1e5b9d3f4a8c",
                complete("stop", "completed", text="Hi there.", usage=(9, 3)),
            ),
        ],
    ),
    *_rows(
        GEMINI,
        [
            (
                "served_model_late",
                "served_model",
                "model_version_late",
                "gemini-flash-lite-latest",
                "gemini-flash-lite-latest",
                "v2TOaK3fFqGz7M8PpLqB4Qs",
                complete(
                    "stop",
                    "STOP",
                    text="Hi there.",
                    usage=(4, 3),
                    late_model="gemini-2.5-flash-lite",
                ),
            )
        ],
    ),
    *_rows(
        OLLAMA,
        [
            (
                "served_model_late",
                "served_model",
                "model_named_late",
                "qwen3",
                "qwen3",
                None,
                complete("stop", "stop", text="Hi there.", usage=(11, 3), late_model="qwen3:4b"),
            )
        ],
    ),
]

_AT_END: Final = {
    (OPENAI_CHAT, "finish_without_done"),
    (OPENAI_CHAT, "finish_without_done_transformers_serve"),
    (ANTHROPIC, "stop_reason_without_message_stop"),
}

CASES: Final = tuple(
    attrs.evolve(case, complete_at_end=True) if (case.api, case.scenario) in _AT_END else case
    for case in (*_OPENAI_CHAT, *_OPENAI_RESPONSES, *_ANTHROPIC, *_GEMINI, *_OLLAMA, *_SERVED_MODEL)
)
