// Octag test console: plain JS, no build step. REST on this origin, streaming chat over the WebSocket API.
"use strict";

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
const STORE = "octag.console";
const PING_MS = 4 * 60 * 1000; // under the gateway's 10-minute idle timeout

const state = {
  config: { websocketUrl: `ws://${location.hostname}:3001` },
  access: null, refresh: null, user: null,
  ws: null, wsWanted: false, pingTimer: null,
  sessionId: null, olderCursor: null,
  pending: null, // the turn in flight: { bubble, text, chunks, started, firstChunk, sessionId }
};

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// --- DOM helpers -------------------------------------------------------------------------------
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) node.append(child); // text stays text
  }
  return node;
}

const show = (node, visible) => { node.hidden = !visible; };
const fmt = (n, digits = 0) => (typeof n === "number" ? n.toLocaleString("ko-KR", { maximumFractionDigits: digits }) : "–");
const when = (iso) => (iso ? new Date(iso).toLocaleString("ko-KR", { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }) : "");
const pretty = (value) => (value === undefined || value === null ? "–" : JSON.stringify(value, null, 1));

function banner(message) {
  if (message && !state.access) return; // signed out: the login form says why
  const node = $("error-banner");
  node.textContent = message || "";
  show(node, Boolean(message));
}

function authMessage(message, isError = false) {
  const node = $("auth-message");
  node.textContent = message;
  node.classList.toggle("error", isError);
}

function scrollToEnd() {
  const list = $("message-list");
  list.scrollTop = list.scrollHeight;
}

// --- REST --------------------------------------------------------------------------------------
async function api(method, path, body, { auth = true, retry = true } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const token = auth ? state.access : null;
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401 && token && token === state.access) {
    if (retry && (await refreshTokens())) return api(method, path, body, { auth, retry: false });
    logout("세션이 만료되었습니다. 다시 로그인하세요.", false);
  } else if (response.status === 401 && token && state.access && retry) {
    return api(method, path, body, { auth, retry: false }); // refreshed meanwhile
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || "http_error", error.message || `${response.status} ${response.statusText}`);
  }
  return data;
}

let refreshing = null; // one refresh at a time: a refresh token is single-use (rotated)

function refreshTokens() {
  if (!state.refresh) return Promise.resolve(false);
  refreshing ??= api("POST", "/api/auth/refresh", { refresh_token: state.refresh }, { auth: false })
    .then((data) => (saveSession(data), true), () => false)
    .finally(() => { refreshing = null; });
  return refreshing;
}

function saveSession(data) {
  state.access = data.access_token;
  state.refresh = data.refresh_token;
  state.user = data.user || state.user;
  sessionStorage.setItem(STORE, JSON.stringify({ access: state.access, refresh: state.refresh, user: state.user }));
}

// --- Auth --------------------------------------------------------------------------------------
function credentials() {
  return { email: $("auth-email").value.trim(), password: $("auth-password").value };
}

async function login(email, password) {
  saveSession(await api("POST", "/api/auth/login", { email, password }, { auth: false }));
  authMessage("");
  enterApp();
}

async function onLogin(event) {
  event.preventDefault();
  authMessage("로그인 중…");
  try {
    const { email, password } = credentials();
    await login(email, password);
  } catch (error) {
    authMessage(`로그인 실패: ${error.message}`, true);
  }
}

async function onRegister() {
  const { email, password } = credentials();
  authMessage("가입 중…");
  try {
    await api("POST", "/api/auth/register", { email, password }, { auth: false });
    authMessage("가입 완료! 로그인 중…");
    await login(email, password);
  } catch (error) {
    authMessage(`가입 실패: ${error.message}`, true);
  }
}

function enterApp() {
  show(document.getElementById("auth-view"), false);
  show(document.getElementById("app-view"), true);
  show(document.getElementById("session-bar"), true);
  $("user-email").textContent = state.user ? state.user.email : "";
  banner("");
  newChat();
  connect();
  loadSessions();
}

function logout(message = "", revoke = true) {
  if (revoke && state.refresh) {
    api("POST", "/api/auth/logout", { refresh_token: state.refresh }, { auth: false }).catch(() => {});
  }
  state.wsWanted = false;
  if (state.ws) state.ws.close(1000, "logout");
  Object.assign(state, { access: null, refresh: null, user: null, ws: null, sessionId: null, pending: null });
  sessionStorage.removeItem(STORE);
  show(document.getElementById("app-view"), false);
  show(document.getElementById("session-bar"), false);
  show(document.getElementById("auth-view"), true);
  $("auth-password").value = "";
  authMessage(message, Boolean(message));
}

// --- WebSocket ---------------------------------------------------------------------------------
function setWsStatus(status, label) {
  const node = $("ws-status");
  node.dataset.state = status;
  node.textContent = label || { open: "실시간 연결됨", connecting: "연결 중…", closed: "연결 끊김" }[status];
  show($("reconnect-button"), status === "closed" && state.wsWanted);
}

function connect(firstTry = true) {
  if (!state.access) return;
  state.wsWanted = true;
  const ws = new WebSocket(`${state.config.websocketUrl}/?token=${encodeURIComponent(state.access)}`);
  let opened = false;
  state.ws = ws;
  setWsStatus("connecting");
  ws.onopen = () => {
    opened = true;
    setWsStatus("open");
    clearInterval(state.pingTimer);
    state.pingTimer = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('{"action":"ping"}'), PING_MS);
  };
  ws.onmessage = (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return banner(`읽을 수 없는 프레임: ${String(event.data).slice(0, 120)}`);
    }
    onFrame(frame);
  };
  ws.onclose = async (event) => {
    if (state.ws !== ws) return;
    state.ws = null;
    clearInterval(state.pingTimer);
    failPending("WebSocket 연결이 끊겼습니다.");
    if (!state.wsWanted) return setWsStatus("closed");
    if (!opened && firstTry) {
      // A refused handshake is usually an expired token: /api/auth/me refreshes it (or logs out).
      const ok = await api("GET", "/api/auth/me").then(() => true, () => false);
      if (ok && state.access) return connect(false);
    }
    setWsStatus("closed", `연결 끊김 (${event.code})`);
  };
}

function onFrame(frame) {
  const turn = state.pending;
  switch (frame.type) {
    case "pong":
    case "feedback_ack":
      return;
    case "ack":
      if (turn) turn.sessionId = frame.session_id;
      return;
    case "chunk":
      if (!turn) return;
      if (turn.firstChunk === null) turn.firstChunk = performance.now();
      turn.chunks += 1;
      turn.text.textContent += frame.text || "";
      turn.bubble.dataset.chunks = String(turn.chunks);
      return scrollToEnd();
    case "done":
      return finishTurn(frame, "websocket");
    case "error":
      if (turn) return failPending(`${frame.message} (${frame.code})`);
      return banner(`서버 오류: ${frame.message} (${frame.code})`);
    default:
      console.warn("unknown frame", frame);
  }
}

// --- Chat --------------------------------------------------------------------------------------
function setBusy(busy) {
  $("send-button").disabled = busy;
  $("chat-form").dataset.busy = String(busy);
}

function addMessage(role, text, { state: status = "done", id } = {}) {
  const body = el("span", { class: "text", "data-testid": "message-text" }, text);
  const node = el("li", { class: "msg", "data-testid": "message", "data-role": role, "data-state": status, "data-message-id": id }, body);
  $("message-list").append(node);
  return { node, body };
}

async function send(text) {
  if (state.pending || !text.trim()) return;
  banner("");
  addMessage("user", text);
  const { node, body } = addMessage("assistant", "", { state: "streaming" });
  node.dataset.chunks = "0";
  scrollToEnd();
  state.pending = { bubble: node, text: body, chunks: 0, started: performance.now(), firstChunk: null, sessionId: state.sessionId };
  setBusy(true);
  if (state.ws && state.ws.readyState === WebSocket.OPEN) {
    const frame = { action: "sendMessage", message: text };
    if (state.sessionId) frame.sessionId = state.sessionId;
    state.ws.send(JSON.stringify(frame));
    return;
  }
  try { // no socket: one non-streaming turn over REST
    const request = { message: text };
    if (state.sessionId) request.session_id = state.sessionId;
    finishTurn(await api("POST", "/api/chat", request), "rest");
  } catch (error) {
    failPending(`${error.message} (${error.code})`);
  }
}

function finishTurn(turn, transport) {
  const pending = state.pending;
  if (!pending) return;
  state.pending = null;
  const { bubble } = pending;
  pending.text.textContent = turn.answer ?? pending.text.textContent;
  bubble.dataset.messageId = turn.message_id || "";
  state.sessionId = turn.session_id || pending.sessionId || state.sessionId;
  const client = {
    transport,
    chunks: pending.chunks,
    firstChunkMs: pending.firstChunk === null ? null : pending.firstChunk - pending.started,
    totalMs: performance.now() - pending.started,
  };
  decorate(bubble, turn, state.sessionId, client);
  showDebug(turn, client);
  bubble.dataset.state = "done"; // last: tests wait for it
  setBusy(false);
  scrollToEnd();
  loadSessions(); // a new session, or new counts and order
}

function failPending(message) {
  const pending = state.pending;
  if (!pending) return;
  state.pending = null;
  pending.bubble.dataset.state = "error";
  pending.bubble.append(el("span", { class: "meta", "data-testid": "message-error" }, `⚠ ${message}`));
  setBusy(false);
}

/** Meta line, recommendation cards and click-to-debug on an assistant bubble. */
function decorate(bubble, turn, sessionId, client = { transport: "history" }) {
  const usage = turn.usage || {};
  const meta = [
    turn.intent,
    typeof turn.latency_ms === "number" ? `${fmt(turn.latency_ms)} ms` : null,
    usage.input_tokens !== undefined ? `${fmt(usage.input_tokens)}+${fmt(usage.output_tokens)} tok` : null,
  ].filter(Boolean);
  if (meta.length) bubble.append(el("span", { class: "meta" }, meta.join(" · ")));
  const recs = turn.recommendations || [];
  if (recs.length) bubble.append(el("div", { class: "recs" }, recs.map((rec) => recCard(rec, sessionId, turn.message_id || turn.id))));
  bubble.addEventListener("click", (event) => {
    if (!event.target.closest("button, a")) showDebug(turn, client);
  });
}

function recCard(rec, sessionId, messageId) {
  const status = el("span", { class: "fb-status", "data-testid": "feedback-status" });
  const button = (kind, label) =>
    el("button", { type: "button", class: "secondary", "data-testid": `feedback-${kind}`, onclick: (event) => sendFeedback(event.currentTarget, status, kind) }, label);
  const target = { session_id: sessionId, message_id: messageId, theme_key: rec.theme_key };
  async function sendFeedback(btn, statusNode, feedback) {
    btn.disabled = true;
    statusNode.textContent = "전송 중…";
    try {
      const result = await api("POST", "/api/chat/feedback", { ...target, feedback });
      btn.classList.add("sent");
      btn.dataset.state = "acked";
      statusNode.dataset.eventId = (result && result.event_id) || "";
      statusNode.textContent = "✓ 기록됨";
    } catch (error) {
      btn.disabled = false;
      statusNode.textContent = `⚠ ${error.message}`;
    }
  }
  const players = rec.min_players ? `${rec.min_players}–${rec.max_players}명` : null;
  const facts = [players, rec.difficulty && `난이도 ${rec.difficulty}`, rec.duration_minutes && `${rec.duration_minutes}분`,
    rec.price_per_person && `${fmt(rec.price_per_person)}원/인`].filter(Boolean);
  return el("article", { class: "rec", "data-testid": "rec-card", "data-theme-key": rec.theme_key },
    el("h3", {}, rec.theme || rec.theme_key || "테마"),
    el("div", { class: "where", title: rec.address }, [rec.cafe, rec.branch].filter(Boolean).join(" ") + (rec.area ? ` · ${rec.area}` : "")),
    el("div", { class: "tags" }, (rec.genres || []).map((g) => el("span", { class: "tag" }, g))),
    el("div", { class: "facts" }, facts.join(" · ")),
    (rec.why || []).length ? el("ul", { class: "why" }, rec.why.map((w) => el("li", {}, w))) : null,
    /^https?:\/\//.test(rec.booking_url || "") ? el("a", { class: "book", href: rec.booking_url, target: "_blank", rel: "noopener noreferrer" }, "예약 페이지 ↗") : null,
    el("div", { class: "actions" }, button("liked", "👍 좋아요"), button("booked", "📅 예약했어요"), button("disliked", "👎"), status));
}

// --- Sessions and history ----------------------------------------------------------------------
async function loadSessions(cursor) {
  let data;
  try {
    data = await api("GET", `/api/chat/sessions?${new URLSearchParams(cursor ? { limit: "50", cursor } : { limit: "50" })}`);
  } catch (error) {
    return error.status === 401 ? undefined : banner(`대화 목록을 불러오지 못했습니다: ${error.message}`);
  }
  const list = $("session-list");
  const more = $("sessions-more");
  more.dataset.cursor = data.next_cursor || "";
  show(more, Boolean(data.next_cursor));
  list[cursor ? "append" : "replaceChildren"](...(data.sessions || []).map((s) =>
    el("li", { "data-testid": "session-item", "data-session-id": s.id, title: s.title || "", onclick: () => openSession(s) },
      el("span", { class: "title" }, s.title || "(제목 없음)"),
      el("span", { class: "meta" }, `메시지 ${fmt(s.message_count)}개 · ${when(s.updated_at)}`),
      el("button", { type: "button", title: "삭제", "data-testid": "session-delete", onclick: (event) => { event.stopPropagation(); deleteSession(s); } }, "×"))));
  markActiveSession();
}

function markActiveSession() {
  for (const item of $("session-list").children) item.classList.toggle("active", item.dataset.sessionId === state.sessionId);
  const active = document.querySelector(`[data-testid="session-item"].active .title`);
  $("current-session").textContent = state.sessionId ? (active ? active.textContent : state.sessionId) : "새 대화";
}

function newChat() {
  state.sessionId = null;
  state.olderCursor = null;
  $("message-list").replaceChildren();
  show($("load-older"), false);
  markActiveSession();
}

async function openSession(session) {
  if (state.pending) return banner("응답을 받는 중에는 대화를 바꿀 수 없습니다.");
  newChat();
  state.sessionId = session.id;
  markActiveSession();
  await loadMessages();
}

async function loadMessages(before) {
  const sessionId = state.sessionId;
  const query = new URLSearchParams({ limit: "50" });
  if (before) query.set("before", before);
  let data;
  try {
    data = await api("GET", `/api/chat/sessions/${encodeURIComponent(sessionId)}/messages?${query}`);
  } catch (error) {
    return banner(`대화를 불러오지 못했습니다: ${error.message}`);
  }
  if (state.sessionId !== sessionId) return;
  const list = $("message-list");
  const first = list.firstChild;
  let lastAssistant = null;
  for (const message of data.messages || []) {
    const { node } = addMessage(message.role, message.text || "", { id: message.id });
    if (message.role === "assistant") {
      decorate(node, message, sessionId);
      lastAssistant = message;
    }
    if (first) list.insertBefore(node, first); // an older page goes above what is shown
  }
  state.olderCursor = data.next_cursor || null;
  show($("load-older"), Boolean(state.olderCursor));
  if (!before && lastAssistant) showDebug(lastAssistant, { transport: "history" });
  if (!before) scrollToEnd();
}

async function deleteSession(session) {
  if (!confirm(`"${session.title || session.id}" 대화를 삭제할까요?`)) return;
  try {
    await api("DELETE", `/api/chat/sessions/${encodeURIComponent(session.id)}`);
  } catch (error) {
    return banner(`삭제하지 못했습니다: ${error.message}`);
  }
  if (state.sessionId === session.id) newChat();
  loadSessions();
}

// --- Debug panel -------------------------------------------------------------------------------
function showDebug(turn, client = {}) {
  const usage = turn.usage || {};
  const set = (id, text) => { $(id).textContent = text === undefined || text === null || text === "" ? "–" : String(text); };
  set("debug-intent", turn.intent);
  const entities = turn.entities && Object.fromEntries(Object.entries(turn.entities).filter(([, v]) => v !== null && !(Array.isArray(v) && !v.length)));
  set("debug-entities", pretty(entities));
  const clientTimes = [client.firstChunkMs != null && `첫 청크 ${fmt(client.firstChunkMs)} ms`,
    client.totalMs != null && `브라우저 ${fmt(client.totalMs)} ms`].filter(Boolean);
  set("debug-latency", `${fmt(turn.latency_ms)} ms${clientTimes.length ? ` (${clientTimes.join(", ")})` : ""}`);
  set("debug-tokens", usage.input_tokens === undefined ? null : `입력 ${fmt(usage.input_tokens)} · 출력 ${fmt(usage.output_tokens)}`);
  set("debug-cost", typeof usage.cost_usd === "number" ? `$${usage.cost_usd.toFixed(6)}` : null);
  set("debug-model", [usage.provider, usage.model].filter(Boolean).join(" / "));
  const stream = $("debug-stream");
  stream.dataset.chunks = String(client.chunks ?? "");
  const transports = { rest: "REST (스트리밍 없음)", history: "기록에서 불러옴" };
  set("debug-stream", client.transport === "websocket" ? `WebSocket · 청크 ${client.chunks}개` : transports[client.transport]);
  set("debug-timings", turn.timings ? Object.entries(turn.timings).map(([k, v]) => `${k.padEnd(12)} ${fmt(v, 1)} ms`).join("\n") : null);
  set("debug-fallback", turn.fallback_reason || (turn.timings ? "없음" : null));
  set("debug-relaxed", Array.isArray(turn.relaxed) ? turn.relaxed.join(", ") || "없음" : pretty(turn.relaxed));
  const items = (id, list, render) => $(id).replaceChildren(...(list && list.length ? list.map(render) : [el("span", {}, "없음")]));
  items("debug-recommendations", turn.recommendations, (r) =>
    el("li", {}, r.theme, el("small", {}, [r.cafe, r.branch, r.theme_key && `(${r.theme_key})`].filter(Boolean).join(" "))));
  items("debug-sources", turn.sources, (s) =>
    el("li", {}, `${s.title || s.id} `, el("small", {}, `[${s.collection}] score ${fmt(s.score, 4)} · ${(s.text || "").slice(0, 100)}`)));
  $("debug-raw").textContent = JSON.stringify(turn, null, 2);
  $("debug-panel").dataset.messageId = turn.message_id || turn.id || "";
}

// --- Boot --------------------------------------------------------------------------------------
async function boot() {
  $("auth-form").addEventListener("submit", onLogin);
  $("register-button").addEventListener("click", onRegister);
  $("logout-button").addEventListener("click", () => logout());
  $("reconnect-button").addEventListener("click", () => connect());
  $("new-chat-button").addEventListener("click", () => !state.pending && newChat());
  $("refresh-sessions").addEventListener("click", () => loadSessions());
  $("sessions-more").addEventListener("click", (event) => loadSessions(event.currentTarget.dataset.cursor));
  $("load-older").addEventListener("click", () => state.olderCursor && loadMessages(state.olderCursor));
  $("error-banner").addEventListener("click", () => banner(""));
  const input = $("message-input");
  $("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (state.pending || !text.trim()) return;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", (event) => { // Enter sends; not while a Korean IME is composing
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("chat-form").requestSubmit();
    }
  });
  try {
    const response = await fetch("/console/config.json");
    if (response.ok) Object.assign(state.config, await response.json());
  } catch {
    // keep the default WebSocket URL
  }
  const saved = JSON.parse(sessionStorage.getItem(STORE) || "null");
  if (saved && saved.access) {
    Object.assign(state, { access: saved.access, refresh: saved.refresh, user: saved.user });
    enterApp();
  }
  document.body.dataset.ready = "true";
}

boot();
