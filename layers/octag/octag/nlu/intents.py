"""The intent of a message, by a short list of rules over cue words and the entities found.

The rules run in order and the first that fits answers, with the confidence it earns:
policy questions go to the documents, a named theme or cafe makes a question about it (or, asked
for something like it, a recommendation), a request with escape-room context or search entities is
a recommendation, small talk is chat, a factual question goes to the documents.
"""

from __future__ import annotations

import re

from octag.nlu.schema import Entities, Intent
from octag.nlu.utterance import Utterance, compact


def _cues(*words: str) -> tuple[str, ...]:
    return tuple(compact(word) for word in words)


_POLICY = _cues(
    "환불", "취소", "규정", "정책", "약관", "위약금", "노쇼", "개인정보", "탈퇴", "양도", "수수료",
    "보상", "분실", "반품", "방침", "지침", "절차", "매뉴얼", "가이드라인", "faq", "휴가", "연차",
)  # fmt: skip
_DOMAIN = _cues("방탈출", "방탈", "탈출", "테마", "방겜", "escape", "이스케이프", "카페")
_RECOMMEND = _cues(
    "추천", "골라", "고르", "갈만", "할만", "가볼만", "해볼만", "어디가좋", "뭐가좋", "뭐있", "뭐가있",
    "리스트", "목록", "찾아줘", "찾고", "괜찮은곳", "괜찮은데", "괜찮은테마", "좋은곳", "좋은데", "좋은테마",
    "어디갈", "어디로가", "있어", "있나", "있을까", "있는곳", "알려줘", "보여줘", "가고싶", "하고싶",
    "해보고싶", "뭐하지", "어때", "없나", "없어", "없을까", "인기", "recommend",
)  # fmt: skip
# A request for something like a named theme, not about it: "포레스트 같은 테마 추천".
_STRONG_RECOMMEND = _cues("추천", "골라", "갈만", "가볼만", "해볼만", "뭐가좋", "어디가좋", "리스트", "목록")
_SIMILAR = _cues("비슷한", "비슷하", "같은", "처럼", "스타일", "느낌")
_ATTRIBUTES = _cues(
    "가격", "얼마", "비용", "요금", "몇분", "시간", "플레이타임", "몇명", "인원", "최대", "최소", "몇인",
    "위치", "어디", "주소", "가는법", "가는길", "예약", "영업", "오픈", "몇시", "후기", "평점", "리뷰",
    "난이도", "어때", "무서", "재밌", "재미있", "할만해", "주차", "전화", "연락처", "몇층", "장르",
    "스토리", "줄거리", "활동성", "나이", "연령", "할인",
)  # fmt: skip
_CHAT = _cues(
    "안녕", "하이", "헬로", "hi", "hello", "hey", "ㅎㅇ", "반가", "고마", "감사", "ㄱㅅ", "땡큐", "thank",
    "잘자", "굿밤", "바이", "bye", "잘가", "심심", "배고", "피곤", "졸려", "졸리", "힘들", "우울",
    "외로", "짜증", "기분", "ㅋㅋ", "ㅎㅎ", "ㅠㅠ", "ㅜㅜ", "사랑해", "날씨", "좋은아침", "굿모닝",
    "수고", "뭐해", "뭐하니", "이름이뭐", "이름뭐", "뭘할수", "뭐할수", "할수있는게", "도와줄수",
    "챗봇", "놀아줘", "농담", "알겠", "오케이", "지금몇시",
)  # fmt: skip
_NOT_ESCAPE_ROOMS = _cues("영화", "책", "노래", "음악", "맛집", "음식", "메뉴", "옷", "선물")
_BOT = {"너", "니", "당신"}
_WH_WORDS = {"언제", "누구", "무엇", "무슨", "어느", "왜", "몇", "어떻게", "얼마나", "얼마", "어디"}
_DEFINITION = _cues("뜻", "의미", "정의", "란무엇", "이란", "에대해", "에대한", "설명해", "차이")
_WHAT_IS = re.compile(r"(?:이|가|은|는|란|이란)뭐(?:야|예요|에요|지|냐|니|임|인가|인지)")
# KorQuAD-style endings: "…했나?", "…인가?", "…입니까?", and "…의 이름은?".
_FORMAL_QUESTION = re.compile(r"(?:나|는가|인가|은가|ㄴ가|니까|는지|을까|었지|였지)\??$")
_TOPIC_QUESTION = re.compile(r"(?:은|는)\?$")


def _has(text: str, cues: tuple[str, ...]) -> bool:
    return any(cue in text for cue in cues)


def classify(utterance: Utterance, entities: Entities) -> tuple[Intent, float]:
    """The intent and a confidence for the rule that decided it."""
    text = utterance.compact
    named = entities.theme is not None or entities.cafe is not None
    searching = sum(
        (entities.region is not None, bool(entities.genres), entities.party_size is not None,
         entities.difficulty is not None)
    )  # fmt: skip
    domain, recommend = _has(text, _DOMAIN), _has(text, _RECOMMEND)
    forms = {m.form for m in utterance.morphemes}
    nouns = [
        m
        for m in utterance.morphemes
        if m.tag in ("NNG", "NNP", "SL", "SN") and m.form not in forms & _WH_WORDS
    ]
    question = utterance.text.rstrip().endswith("?") or any(m.tag == "EF" for m in utterance.morphemes[-2:])
    factual = bool(nouns) and (
        bool(forms & _WH_WORDS) or _has(text, _DEFINITION) or bool(_WHAT_IS.search(text))
        or bool(_FORMAL_QUESTION.search(utterance.text.strip()) and question and len(nouns) >= 2)
    )  # fmt: skip

    if _has(text, _POLICY):
        return "document_qa", 0.85
    if named:
        if _has(text, _STRONG_RECOMMEND) and (_has(text, _SIMILAR) or entities.theme is None):
            return "room_recommendation", 0.8
        return "room_inquiry", 0.9 if _has(text, _ATTRIBUTES) else 0.7
    if recommend and (domain or searching):
        return "room_recommendation", 0.9
    if domain and searching:
        return "room_recommendation", 0.8
    if forms & _BOT or _has(text, _CHAT):
        return "general_chat", 0.8
    if factual:
        return "document_qa", 0.75
    if searching >= 2 or (searching and (question or recommend)):
        return "room_recommendation", 0.6
    if _has(text, _STRONG_RECOMMEND):
        return ("general_chat", 0.6) if _has(text, _NOT_ESCAPE_ROOMS) else ("room_recommendation", 0.6)
    if len(nouns) >= 2 and _TOPIC_QUESTION.search(utterance.text.strip()):
        return "document_qa", 0.6
    return "general_chat", 0.5
