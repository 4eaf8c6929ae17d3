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

function showDead(messages) {
	fill("dead", messages.map((m) => {
		const tr = row("", cell(m.id, "id"), cell(m.queue), cell(m.attempts, "num"),
			cell(m.last_status || "", "num"), cell(m.last_error), cell(ago(m.dead_at) + " ago"), actions(() => [
				button("Replay", "replay-" + m.id, () => call("POST", "/messages/" + encodeURIComponent(m.id) + "/replay")),
				button("Delete", "delete-" + m.id, () => call("DELETE", "/messages/" + encodeURIComponent(m.id)), "danger")]));
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

async function refresh() {
	try {
		const [stats, dead, recent] = await Promise.all([
			call("GET", "/stats"), call("GET", "/messages?state=dead&limit=100"), call("GET", "/attempts")]);
		showQueues(stats, recent.attempts);
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

document.getElementById("read-only").hidden = !readOnly;
refresh();
setInterval(() => {
	document.getElementById("status").className = "";
	refresh();
}, refreshMs);
