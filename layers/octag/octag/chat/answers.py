"""Answers from retrieved records: the offline composer (grounded Korean templates and extracts, never
free text) and a LangChain chat model streamed token by token, which falls back to the offline
composer on any error or timeout and says so."""

from __future__ import annotations

import json
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from octag.catalog import vocab
from octag.chat.context import ASKED_FACTS, Reading
from octag.chat.retrieval import Records
from octag.chat.schema import Recommendation, Source
from octag.llm.prices import TokenUsage, cost_usd
from octag.search.tokenizer import lexemes

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

OnChunk = Callable[[str], None]


@dataclass
class Answer:
    text: str
    usage: TokenUsage
    fallback_reason: str | None = None


# --- The offline composer ---------------------------------------------------------------------

_RELAXED_WORDS = {
    "difficulty": "난이도", "min_duration": "시간", "max_duration": "시간", "min_price": "가격",
    "max_price": "가격", "party_size": "인원", "genres": "장르", "area": "지역",
}  # fmt: skip
_ORDER_WORDS = {
    "easiest": "가장 쉬운", "hardest": "가장 어려운", "cheapest": "가장 저렴한", "priciest": "가장 비싼",
    "shortest": "가장 짧은", "longest": "가장 긴",
}  # fmt: skip
_GREETING = re.compile(r"안녕|하이|반가|hello|hi\b", re.IGNORECASE)
_THANKS = re.compile(r"고마|감사|땡큐|thank", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?。\n]+[.!?。]?")


def compose(message: str, reading: Reading, records: Records) -> str:
    """The offline answer: every fact in it is a field of a retrieved record."""
    if reading.intent == "room_recommendation":
        return _recommendation_answer(reading, records)
    if reading.intent == "room_inquiry":
        return _inquiry_answer(message, reading, records.facts)
    if reading.intent == "document_qa":
        return _document_answer(message, records.sources)
    if _THANKS.search(message):
        return "천만에요! 또 궁금한 방탈출 테마가 있으면 언제든 물어봐 주세요."
    opener = "안녕하세요! " if _GREETING.search(message) else ""
    return (
        f"{opener}저는 방탈출 테마를 찾아 드리는 챗봇이에요. 지역, 장르, 인원, 난이도를 알려 주시면 "
        '맞는 테마를 추천해 드릴게요. 예: "강남에서 무서운 테마 4명이서 할 만한 거 추천해줘"'
    )


def _recommendation_answer(reading: Reading, records: Records) -> str:
    found = records.recommendations
    if records.catalog_missing:
        return "방탈출 카탈로그가 아직 준비되지 않았어요. 잠시 후에 다시 물어봐 주세요."
    if not found:
        if reading.within_last:
            return "방금 추천한 테마 중에는 조건에 맞는 테마가 없어요. 조건을 바꿔서 다시 물어봐 주세요."
        return "조건에 맞는 테마를 찾지 못했어요. 지역이나 장르를 바꿔서 물어봐 주세요."
    if reading.within_last and reading.order is not None:
        lead = f"방금 추천한 테마 중 {_ORDER_WORDS[reading.order]} 테마는 「{found[0].theme}」예요."
    else:
        wanted = _wanted_words(reading)
        lead = f"{wanted + ' ' if wanted else ''}테마 {len(found)}개를 추천해 드릴게요."
    lines = [lead]
    if records.relaxed:
        dropped = "·".join(dict.fromkeys(_RELAXED_WORDS[name] for name in records.relaxed))
        lines.append(f"(모든 조건에 맞는 테마가 부족해서 {dropped} 조건을 완화해 찾았어요.)")
    for number, theme in enumerate(found, 1):
        lines.append(f"{number}. {theme.theme} — {_place(theme)}")
        if facts := _facts(theme):
            lines.append(f"   {' · '.join(facts)}")
        if theme.why:
            lines.append(f"   추천 이유: {', '.join(theme.why)}")
    return "\n".join(lines)


def _wanted_words(reading: Reading) -> str:
    wanted = reading.entities
    words = []
    if wanted.region:
        words.append(wanted.region)
    if wanted.genres:
        words.append("·".join(wanted.genres))
    if wanted.party_size:
        words.append(f"{wanted.party_size}명")
    if wanted.difficulty:
        words.append(f"난이도 {vocab.DIFFICULTY_WORDS[wanted.difficulty]}")
    return ", ".join(words) + (" 조건으로" if words else "")


def _inquiry_answer(message: str, reading: Reading, facts: list[Recommendation]) -> str:
    named = reading.entities.theme or reading.entities.cafe
    if not facts:
        return (
            f"「{named}」 정보를 찾지 못했어요. 이름을 다시 확인해 주세요."
            if named
            else ("어느 테마나 카페가 궁금하신지 이름을 알려 주세요.")
        )
    if reading.entities.theme is None and reading.referred is None:  # a cafe: its themes
        lines = [f"「{reading.entities.cafe}」의 테마 {len(facts)}개예요."]
        lines += [f"- {t.theme} ({_place(t)}): {' · '.join(_facts(t)) or '자세한 정보 없음'}" for t in facts]
        return "\n".join(lines)
    theme = facts[0]
    asked = [kind for pattern, kind in ASKED_FACTS if pattern.search(message)]
    answers = [sentence for kind in asked if (sentence := _fact_sentence(theme, kind))]
    lead = f"「{theme.theme}」({_place(theme)})"
    unknown = [kind for kind in asked if _fact_sentence(theme, kind) is None]
    lines = [f"{lead} " + (" ".join(answers) if answers else "정보예요.")]
    if unknown:
        lines.append("그 외에 물어보신 내용은 등록된 정보가 없어요.")
    if facts_line := _facts(theme):
        lines.append(f"전체 정보: {' · '.join(facts_line)}")
    if theme.address:
        lines.append(f"주소: {theme.address}")
    if len(facts) > 1:
        others = ", ".join(_place(t) for t in facts[1:4])
        lines.append(f"같은 이름의 테마가 다른 곳에도 있어요: {others}")
    return "\n".join(lines)


def _fact_sentence(theme: Recommendation, kind: str) -> str | None:
    if kind == "price" and theme.price_per_person is not None:
        return f"가격은 1인 {theme.price_per_person:,}원이에요."
    if kind == "players" and (players := _players(theme)):
        return f"인원은 {players}이에요."
    if kind == "duration" and theme.duration_minutes is not None:
        return f"플레이 시간은 {theme.duration_minutes}분이에요."
    if kind == "address" and theme.address:
        return f"주소는 {theme.address}예요."
    if kind == "difficulty" and theme.difficulty:
        return f"난이도는 {vocab.DIFFICULTY_WORDS[theme.difficulty]}이에요."
    return None


def _document_answer(message: str, sources: list[Source]) -> str:
    if not sources:
        return "관련 문서를 찾지 못했어요. 문서가 등록되어 있는지 확인해 주세요."
    asked = set(lexemes(message))
    best, best_overlap = sources[0].text.strip(), -1
    for sentence in _SENTENCE.findall(sources[0].text):
        overlap = len(asked & set(lexemes(sentence)))
        if overlap > best_overlap and sentence.strip():
            best, best_overlap = sentence.strip(), overlap
    cited = [f"[{n}] {s.title or s.id} ({s.collection})" for n, s in enumerate(sources, 1)]
    return f'문서에 따르면: "{best}" [1]\n\n출처:\n' + "\n".join(cited)


def _place(theme: Recommendation) -> str:
    cafe = theme.cafe if not theme.branch else f"{theme.cafe} {theme.branch}"
    return f"{cafe}, {theme.area}"


def _players(theme: Recommendation) -> str | None:
    low, high = theme.min_players, theme.max_players
    if low is not None and high is not None:
        return f"{low}명" if low == high else f"{low}~{high}명"
    return f"최대 {high}명" if high is not None else f"최소 {low}명" if low is not None else None


def _facts(theme: Recommendation) -> list[str]:
    facts = []
    if theme.genres:
        facts.append("/".join(theme.genres))
    if players := _players(theme):
        facts.append(players)
    if theme.difficulty:
        facts.append(f"난이도 {vocab.DIFFICULTY_WORDS[theme.difficulty]}")
    if theme.price_per_person is not None:
        facts.append(f"1인 {theme.price_per_person:,}원")
    if theme.duration_minutes is not None:
        facts.append(f"{theme.duration_minutes}분")
    return facts


def pieces(text: str, size: int = 24) -> Iterator[str]:
    """The offline answer in stream-sized pieces, split after spaces and line ends."""
    yield from re.findall(rf".{{1,{size}}}(?:\s|$)|.{{{size}}}|\n", text)


def offline_answer(message: str, reading: Reading, records: Records, on_chunk: OnChunk) -> Answer:
    text = compose(message, reading, records)
    for piece in pieces(text):
        on_chunk(piece)
    return Answer(text, TokenUsage())


# --- A LangChain chat model ---------------------------------------------------------------------

SYSTEM_PROMPT = """당신은 방탈출 테마 추천 챗봇입니다. 한국어로 친절하고 간결하게 답하세요.
반드시 아래 RECORDS에 있는 사실만 사용하세요. RECORDS에 없는 가격, 시간, 위치, 인원 등은 지어내지 말고
"등록된 정보가 없다"고 말하세요. 문서 질문에는 근거가 된 출처 번호를 [1]처럼 붙이세요.
추천할 때는 각 테마가 왜 요청에 맞는지 한 줄로 설명하세요."""

_DONE = object()


def llm_answer(
    model: BaseChatModel,
    model_id: str | None,
    provider: str,
    message: str,
    reading: Reading,
    records: Records,
    on_chunk: OnChunk,
    *,
    timeout: float,
) -> Answer:
    """Stream the model's answer; on an error or past `timeout`, the offline answer follows (once)."""
    prompt = [("system", SYSTEM_PROMPT), ("human", _prompt(message, reading, records))]
    streamed: list[str] = []
    usage = {"input_tokens": 0, "output_tokens": 0}
    reason: str | None = None
    deadline = time.monotonic() + timeout
    for item in _stream_in_thread(model, prompt):
        if isinstance(item, BaseException):
            reason = f"{type(item).__name__}: {item}".splitlines()[0][:300]
            break
        if item is None:  # the deadline check's tick
            pass
        else:
            text, chunk_usage = item
            for key in usage:
                usage[key] += chunk_usage.get(key, 0)
            if text:
                streamed.append(text)
                on_chunk(text)
        if time.monotonic() > deadline:
            reason = f"the LLM did not finish within {timeout:g} s"
            break
    if reason is None and not "".join(streamed).strip():
        reason = "the LLM returned an empty answer"
    tokens = TokenUsage(
        provider=provider,
        model=model_id,
        input_tokens=usage["input_tokens"],
        output_tokens=usage["output_tokens"],
        cost_usd=cost_usd(model_id, usage["input_tokens"], usage["output_tokens"]),
    )
    if reason is None:
        return Answer("".join(streamed), tokens)
    fallback = compose(message, reading, records)
    joint = "\n\n" if streamed else ""
    for piece in pieces(joint + fallback):
        on_chunk(piece)
    return Answer("".join(streamed) + joint + fallback, tokens, fallback_reason=reason)


def _stream_in_thread(model: BaseChatModel, prompt: list[tuple[str, str]]) -> Iterator[Any]:
    """The model's (text, usage) chunks from a worker thread, with None ticks so the caller can give up."""
    items: queue.Queue[Any] = queue.Queue()

    def produce() -> None:
        try:
            for chunk in model.stream(prompt):
                usage = getattr(chunk, "usage_metadata", None) or {}
                items.put((_text(chunk.content), dict(usage)))
        except BaseException as exc:  # handed to the caller, who falls back
            items.put(exc)
        finally:
            items.put(_DONE)

    threading.Thread(target=produce, name="octag-llm-stream", daemon=True).start()
    while True:
        try:
            item = items.get(timeout=0.25)
        except queue.Empty:
            yield None
            continue
        if item is _DONE:
            return
        yield item


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks (Anthropic, Bedrock Converse)
        return "".join(
            block if isinstance(block, str) else str(block.get("text", "")) for block in content
            if isinstance(block, str) or block.get("type") == "text"
        )  # fmt: skip
    return ""


def _prompt(message: str, reading: Reading, records: Records) -> str:
    payload: dict[str, Any] = {
        "intent": reading.intent,
        "entities": reading.entities.model_dump(exclude_none=True),
    }
    if records.recommendations:
        payload["recommendations"] = [r.model_dump(exclude_none=True) for r in records.recommendations]
    if records.relaxed:
        payload["relaxed_constraints"] = records.relaxed
    if records.facts:
        payload["theme_facts"] = [r.model_dump(exclude_none=True) for r in records.facts]
    if records.sources:
        payload["sources"] = [
            {"n": n, "title": s.title, "collection": s.collection, "text": s.text}
            for n, s in enumerate(records.sources, 1)
        ]
    return f"RECORDS:\n{json.dumps(payload, ensure_ascii=False, indent=1)}\n\n사용자 메시지: {message}"
