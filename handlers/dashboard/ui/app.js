// Hookgate's dashboard: it polls the webhooks API (served beside the page,
// under api/) and acts through it. Every value is written with
// textContent, never as HTML.
"use strict";

const api = "api";
const refreshMs = 2000;
// The server marks the page read-only when the dashboard refuses every
// state change: then no button is shown.
const readOnly = document.documentElement.dataset.readOnly === "true";

async function call(method, path) {
	const headers = { Accept: "application/json", "X-Hookgate-Dashboard": "1" };
	const resp = await fetch(api + path, { method, headers });
	if (!resp.ok) {
		const text = await resp.text();
		throw new Error(method + " " + path + ": " + resp.status + " " + text.trim());
	}
	return resp.status === 204 ? null : resp.json();
}

function cell(text, cls) {
	const td = document.createElement("td");
	td.textContent = text === undefined || text === null ? "" : String(text);
	if (cls) td.className = cls;
	return td;
}

// actions is the last cell of a row: its buttons, or none when read-only.
function actions(buttons) {
	const td = cell("");
	if (!readOnly) td.append(...buttons());
	return td;
}

function button(label, id, onClick, cls) {
	const b = document.createElement("button");
	b.textContent = label;
	b.id = id;
	if (cls) b.className = cls;
	b.addEventListener("click", async () => {
		b.disabled = true;
		try {
			await onClick();
			setStatus(label + " done");
		} catch (e) {
			setStatus(e.message, true);
		}
		refresh();
	});
	return b;
}

function fill(table, rows) {
	const body = document.querySelector("#" + table + " tbody");
	body.replaceChildren(...rows);
	document.getElementById(table + "-empty").hidden = rows.length > 0;
}

function row(cls, ...cells) {
	const tr = document.createElement("tr");
	if (cls) tr.className = cls;
	tr.append(...cells);
	return tr;
}

function ago(iso) {
	if (!iso) return "";
	const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
	if (s < 90) return Math.round(s) + " s";
	if (s < 5400) return Math.round(s / 60) + " min";
	if (s < 129600) return Math.round(s / 3600) + " h";
	return Math.round(s / 86400) + " d";
}

function setStatus(text, error) {
	const el = document.getElementById("status");
	el.textContent = text;
	el.className = error ? "error" : "";
}

// rates counts the last minute's attempts per queue and outcome.
function rates(attempts) {
	const since = Date.now() - 60000;
	const out = {};
	for (const a of attempts) {
		if (Date.parse(a.at) < since) continue;
		const r = (out[a.queue] ??= { delivered: 0, failed: 0 });
		if (a.outcome === "delivered") r.delivered++;
		else r.failed++;
	}
	return out;
}

function showQueues(stats, attempts) {
	const perMin = rates(attempts);
	const names = new Set([...Object.keys(stats.queues || {}), ...Object.keys(perMin)]);
	fill("queues", [...names].sort().map((q) => {
		const s = (stats.queues || {})[q] || {};
		const r = perMin[q] || { delivered: 0, failed: 0 };
		return row("", cell(q), cell(s.queued || 0, "num"), cell(s.in_flight || 0, "num"),
			cell(s.dead || 0, "num"), cell(ago(s.oldest_queued), "num"),
			cell(r.delivered, "num"), cell(r.failed, "num"));
	}));
}

// showMessage shows one message: its headers and body when its route has
// inspect on (credential headers come redacted), else a note saying why not.
async function showMessage(id) {
	const m = await call("GET", "/messages/" + encodeURIComponent(id));
	const section = document.getElementById("message-section");
	section.hidden = false;
	document.getElementById("message-title").textContent = "Message " + m.id + " (" + m.queue + ")";
	const note = document.getElementById("message-note");
	const headers = Object.entries(m.header || {}).sort(([a], [b]) => a.localeCompare(b));
	fill("message-headers", headers.map(([k, vs]) => row("", cell(k), cell(vs.join(", ")))));
	const body = document.getElementById("message-body");
	body.hidden = !m.inspected;
	if (!m.inspected) {
		note.textContent = "inspect is off for this route: body and header values are not shown (" +
			m.size + " bytes; headers: " + (m.header_names || []).join(", ") + ").";
		return;
	}
	note.textContent = m.size + " bytes" + (m.body_encoding === "base64" ? ", binary: shown as base64" : "") +
		(m.body_truncated ? ", cut to the first 64 KiB" : "") + ".";
	body.textContent = m.body || "";
}

function showDead(messages) {
	fill("dead", messages.filter(matches).map((m) => {
		// A link, not a button: reading is allowed when read-only too.
		const show = document.createElement("a");
		show.textContent = "Show";
		show.id = "show-" + m.id;
		show.href = "#message-section";
		show.className = "show";
		show.addEventListener("click", () => showMessage(m.id).catch((e) => setStatus(e.message, true)));
		const tr = row("", cell(m.id, "id"), cell(m.queue), cell(m.attempts, "num"),
			cell(m.last_status || "", "num"), cell(m.last_error), cell(ago(m.dead_at) + " ago"), actions(() => [
				button("Replay", "replay-" + m.id, () => call("POST", "/messages/" + encodeURIComponent(m.id) + "/replay")),
				button("Delete", "delete-" + m.id, () => call("DELETE", "/messages/" + encodeURIComponent(m.id)), "danger")]));
		tr.lastChild.prepend(show);
		tr.dataset.id = m.id;
		return tr;
	}));
}

function showAttempts(attempts) {
	fill("attempts", attempts.slice(0, 50).map((a) => row(a.outcome,
		cell(new Date(a.at).toLocaleTimeString()), cell(a.queue), cell(a.id, "id"),
		cell(a.outcome, "outcome"), cell(a.status || "no answer", "num"), cell(a.took_ms.toFixed(1) + " ms", "num"))));
}

async function showEndpoints() {
	let answer;
	try {
		answer = await call("GET", "/endpoints");
	} catch (e) {
		document.getElementById("endpoints-section").hidden = true;
		return; // no outbound routes in this build or config
	}
	document.getElementById("endpoints-section").hidden = false;
	const disabled = (answer.endpoints || []).filter((e) => !e.active);
	fill("endpoints", disabled.map((e) => {
		return row("", cell(e.id, "id"), cell(e.route), cell(e.url), cell(e.disabled_reason), actions(() => [
			button("Enable", "enable-" + e.id, () => call("POST", "/endpoints/" + encodeURIComponent(e.id) + "/enable"))]));
	}));
}

const svgNS = "http://www.w3.org/2000/svg";

function svg(tag, attrs, text) {
	const el = document.createElementNS(svgNS, tag);
	for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
	if (text !== undefined) el.textContent = text;
	return el;
}

// chart draws one queue's hour: received, delivered and failed per minute
// as bars side by side, and below them the sampled depth as a line with a
// dot per sample. Drawn as inline SVG: nothing is fetched from elsewhere.
function chart(name, q, minutes) {
	const w = 600, h = 110, dh = 50, pad = 28, slot = (w - pad) / minutes, bw = Math.max(1, slot / 3 - 0.5);
	const kinds = ["received", "delivered", "failed"];
	const top = Math.max(1, ...kinds.flatMap((k) => q[k]));
	const root = svg("svg", { viewBox: `0 0 ${w} ${h + dh + 16}`, class: "chart", role: "img" });
	root.dataset.queue = name;
	root.append(svg("title", {}, name + ": received, delivered and failed per minute, and queue depth, over the last hour"));
	root.append(svg("text", { x: 0, y: 10, class: "axis" }, String(top)), svg("text", { x: 0, y: h, class: "axis" }, "0"));
	root.append(svg("line", { x1: pad, y1: h, x2: w, y2: h, class: "base" }));
	kinds.forEach((k, j) => {
		q[k].forEach((n, i) => {
			if (!n) return;
			const bh = Math.max(1, (n / top) * (h - 12));
			const bar = svg("rect", { x: pad + i * slot + j * (bw + 0.5), y: h - bh, width: bw, height: bh, class: "bar " + k });
			bar.append(svg("title", {}, n + " " + k));
			root.append(bar);
		});
	});
	const samples = q.depth.map((d, i) => [d, i]).filter(([d]) => d !== null);
	const dtop = Math.max(1, ...samples.map(([d]) => d));
	const y = (d) => h + dh + 4 - (d / dtop) * (dh - 8);
	const x = (i) => pad + i * slot + slot / 2;
	root.append(svg("text", { x: 0, y: h + 14, class: "axis" }, String(dtop)), svg("text", { x: 0, y: h + dh + 4, class: "axis" }, "depth"));
	if (samples.length > 1) {
		root.append(svg("polyline", { points: samples.map(([d, i]) => x(i) + "," + y(d)).join(" "), class: "depth" }));
	}
	for (const [d, i] of samples) root.append(svg("circle", { cx: x(i), cy: y(d), r: 2.5, class: "depth" }));
	root.append(svg("text", { x: pad, y: h + dh + 16, class: "axis" }, minutes + " min ago"),
		svg("text", { x: w, y: h + dh + 16, class: "axis end" }, "now"));
	return root;
}

function showCharts(series) {
	const names = Object.keys(series.queues || {}).sort();
	const figures = names.map((name) => {
		const fig = document.createElement("figure");
		const cap = document.createElement("figcaption");
		cap.textContent = name;
		fig.append(cap, chart(name, series.queues[name], series.minutes));
		return fig;
	});
	document.getElementById("charts").replaceChildren(...figures);
	document.getElementById("charts-empty").hidden = figures.length > 0;
}

async function refresh() {
	try {
		const [stats, dead, recent, series] = await Promise.all([
			call("GET", "/stats"), call("GET", "/messages?state=dead&limit=100"), call("GET", "/attempts"), call("GET", "/series")]);
		showQueues(stats, recent.attempts);
		showCharts(series);
		showDead(dead.messages || []);
		showAttempts(recent.attempts);
		await showEndpoints();
		if (!document.getElementById("status").classList.contains("error")) {
			setStatus("updated " + new Date().toLocaleTimeString());
		}
	} catch (e) {
		setStatus(e.message, true);
	}
}

// The dead letters' filter: it narrows the list shown, and "Replay N
// matching" replays what it matches, all of it, through a job of the
// server: the first click counts (a dry run), the second starts the job.
function deadFilter() {
	const f = {};
	for (const k of ["status", "error", "since"]) {
		const v = document.getElementById("filter-" + k).value.trim();
		if (v) f[k] = v;
	}
	return f;
}

// sinceTime reads "2h", "90m", "1h30m", "45s" or an RFC 3339 time.
function sinceTime(v) {
	const parts = [...v.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)];
	if (parts.length && parts.map((p) => p[0]).join("") === v) {
		const unit = { h: 3600000, m: 60000, s: 1000 };
		return Date.now() - parts.reduce((ms, p) => ms + parseFloat(p[1]) * unit[p[2]], 0);
	}
	return Date.parse(v);
}

function matches(m) {
	const f = deadFilter();
	if (f.error && !(m.last_error || "").includes(f.error)) return false;
	if (f.status) {
		const st = String(m.last_status || "");
		if (/^[1-5]xx$/i.test(f.status) ? st[0] !== f.status[0] || st.length !== 3 : st !== f.status) return false;
	}
	if (f.since) {
		const t = sinceTime(f.since);
		if (!isNaN(t) && Date.parse(m.received_at) < t) return false;
	}
	return true;
}

async function post(path, body) {
	const headers = { Accept: "application/json", "Content-Type": "application/json", "X-Hookgate-Dashboard": "1" };
	const resp = await fetch(api + path, { method: "POST", headers, body: JSON.stringify(body) });
	const text = await resp.text();
	if (!resp.ok) throw new Error("POST " + path + ": " + resp.status + " " + text.trim());
	return JSON.parse(text);
}

let counted = null; // the count of the last dry run, for the filter it ran on

function resetReplay() {
	counted = null;
	const b = document.getElementById("replay-matching");
	b.textContent = "Count matching";
	b.disabled = false;
}

async function replayMatching() {
	const b = document.getElementById("replay-matching");
	const progress = document.getElementById("replay-progress");
	b.disabled = true;
	try {
		if (counted === null) {
			const dry = await post("/messages/replay", { ...deadFilter(), state: "dead", dry_run: true });
			counted = dry.count;
			b.textContent = "Replay " + dry.count + " matching";
			b.disabled = dry.count === 0;
			return;
		}
		const started = await post("/messages/replay", { ...deadFilter(), state: "dead" });
		for (;;) {
			const job = await call("GET", "/jobs/" + encodeURIComponent(started.job));
			progress.textContent = "replaying " + (job.done + job.failed) + "/" + job.total +
				(job.failed ? " (" + job.failed + " failed)" : "");
			if (job.state !== "running") {
				progress.textContent = job.state === "done" ? "replayed " + job.done + " of " + job.total : "replay failed: " + job.error;
				break;
			}
			await new Promise((r) => setTimeout(r, 500));
		}
		resetReplay();
		refresh();
	} catch (e) {
		setStatus(e.message, true);
		resetReplay();
	}
}

for (const k of ["status", "error", "since"]) {
	document.getElementById("filter-" + k).addEventListener("input", () => { resetReplay(); refresh(); });
}
document.getElementById("dead-filter").addEventListener("submit", (e) => e.preventDefault());
if (readOnly) document.getElementById("replay-matching").remove();
else {
	document.getElementById("replay-matching").hidden = false;
	document.getElementById("replay-matching").addEventListener("click", replayMatching);
}
document.getElementById("read-only").hidden = !readOnly;
refresh();
setInterval(() => {
	document.getElementById("status").className = "";
	refresh();
}, refreshMs);
