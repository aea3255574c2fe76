from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from octag import aws
from octag.config import get_settings
from octag.search import embedders
from octag.search.embedders import BedrockEmbedder, UniversalSentenceEncoder, get_embedder


@pytest.fixture(scope="module")
def use() -> UniversalSentenceEncoder:
    embedder = get_embedder("use-multilingual-v3")
    assert isinstance(embedder, UniversalSentenceEncoder)
    return embedder


def test_offline_default_embedder_is_512_d_use(use: UniversalSentenceEncoder) -> None:
    assert get_settings().embedding_model == "use-multilingual-v3"
    assert get_embedder() is use  # one per process
    assert (use.model_id, use.dimension) == ("use-multilingual-v3", 512)


def test_vectors_are_float32_unit_rows(use: UniversalSentenceEncoder) -> None:
    vectors = use.embed_documents(["강남 공포 테마", "Escape room in Hongdae", ""])
    assert vectors.shape == (3, 512) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert use.embed_documents([]).shape == (0, 512)
    assert use.embed_query("강남 공포 테마").shape == (512,)


def test_korean_paraphrases_are_closer_than_unrelated_sentences(use: UniversalSentenceEncoder) -> None:
    pairs = [
        ("강남에서 무서운 방탈출 테마 추천해줘", "강남역 근처 공포 장르 방탈출 카페를 알려 주세요"),
        ("이 방은 너무 어려워서 못 나왔어요", "난이도가 높아서 탈출에 실패했습니다"),
        ("네 명이 함께 할 수 있는 테마가 있나요?", "4인이 플레이 가능한 방탈출을 찾고 있어요"),
    ]
    unrelated = ["내일 서울 날씨는 맑고 기온이 오를 전망입니다", "주식 시장이 금리 인상 소식에 하락했다"]
    others = use.embed_documents(unrelated)
    for query, paraphrase in pairs:
        q = use.embed_query(query)
        assert float(use.embed_query(paraphrase) @ q) > float((others @ q).max())


def test_batch_equals_one_by_one(use: UniversalSentenceEncoder) -> None:
    texts = [
        "짧은 문장",
        "조금 더 긴 문장으로 배치 안의 다른 길이를 만든다. " * 20,
        "English and 한국어 mixed",
    ]
    one_by_one = np.stack([use.embed_query(text) for text in texts])
    assert np.allclose(use.embed_documents(texts), one_by_one, atol=1e-5)


def test_unknown_model_id_is_a_clear_error() -> None:
    with pytest.raises(
        ValueError, match=r"Unknown embedding model 'text-embedding-3-small'.*use-multilingual-v3"
    ):
        get_embedder("text-embedding-3-small")


def test_bedrock_without_langchain_aws_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "langchain_aws", None)  # as if the extra were not installed
    with pytest.raises(ImportError, match=r"pip install 'octag\[bedrock\]'"):
        get_embedder("amazon.titan-embed-text-v2:0")
    assert "amazon.titan-embed-text-v2:0" not in embedders._embedders  # a later install can still work


class _FakeBedrockEmbeddings:
    """Stands in for langchain_aws.BedrockEmbeddings: records its arguments, answers unnormalized."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs

    def embed_query(self, text: str) -> list[float]:
        return [float(len(text)), 1.0] + [0.0] * 1022


@pytest.fixture
def local_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    get_settings.cache_clear()
    aws.reset_clients()
    yield
    get_settings.cache_clear()
    aws.reset_clients()


def test_bedrock_embedder_uses_titan_v2_with_the_configured_client(
    monkeypatch: pytest.MonkeyPatch, local_aws: None
) -> None:
    monkeypatch.setitem(
        sys.modules, "langchain_aws", types.SimpleNamespace(BedrockEmbeddings=_FakeBedrockEmbeddings)
    )
    embedder = BedrockEmbedder()
    kwargs = embedder._embeddings.kwargs  # type: ignore[attr-defined]
    assert kwargs["model_id"] == "amazon.titan-embed-text-v2:0"
    assert kwargs["model_kwargs"] == {"dimensions": 1024, "normalize": True}
    assert kwargs["client"] is aws.client("bedrock-runtime")
    assert kwargs["client"].meta.region_name == "us-west-2"
    assert kwargs["client"].meta.endpoint_url == "http://127.0.0.1:9"

    vectors = embedder.embed_documents(["a", "abc", "abcdefg"])  # order kept across the thread pool
    assert vectors.shape == (3, 1024) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert np.allclose(vectors[:, 0] / vectors[:, 1], [1.0, 3.0, 7.0])
    assert embedder.embed_query("abc") == pytest.approx(vectors[1])
