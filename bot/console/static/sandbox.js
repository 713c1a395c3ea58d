// The sandbox page: polls /sandbox/state and draws both chats; buttons ask the emulator to
// act as the citizen or as the chosen demo operator. No build step, no libraries.
"use strict";

const $ = (id) => document.getElementById(id);
let lastJson = "";
let staff = [];

async function post(path, body) {
  const resp = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Sandbox": "1" },
    body: JSON.stringify(body),
  });
  if (!resp.ok) throw new Error(await resp.text());
  return resp.json();
}

function toast(text) {
  const el = $("toast");
  el.textContent = text;
  el.style.display = "block";
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.style.display = "none"; }, 3500);
}

function actingAs() { return Number($("as").value); }

function drawMessage(m, byId, pane) {
  const el = document.createElement("div");
  el.className = "msg" + ((pane === "citizen" && !m.bot) ? " mine" : "");
  el.dataset.id = m.id;
  if (pane !== "citizen" || !m.bot) {
    const from = document.createElement("div");
    from.className = "from";
    from.textContent = m.bot ? "GovReply（机器人）" : (m.from === "Telegram" ? "频道（示例市发布）" : m.from);
    el.appendChild(from);
  }
  if (m.reply_to && byId[m.reply_to]) {
    const q = document.createElement("div");
    q.className = "quote";
    q.textContent = byId[m.reply_to].text.slice(0, 60);
    el.appendChild(q);
  }
  const body = document.createElement("div");
  body.className = "text";
  body.textContent = m.text;
  el.appendChild(body);
  if (pane === "citizen" && !m.bot) {
    // Telegram lets the citizen edit a sent message; GovReply redrafts from the new words.
    const edit = document.createElement("button");
    edit.className = "edit";
    edit.textContent = m.edits ? "编辑（已编辑）" : "编辑";
    edit.addEventListener("click", async () => {
      const text = window.prompt("修改这条留言：", m.text);
      if (!text || !text.trim() || text === m.text) return;
      await post("/sandbox/edit", { message_id: m.id, text });
      refresh();
    });
    el.appendChild(edit);
  }
  if (pane === "ops" && m.buttons.length) {
    const grid = document.createElement("div");
    grid.className = "buttons";
    for (const row of m.buttons) {
      const r = document.createElement("div");
      r.className = "row";
      for (const b of row) {
        const btn = document.createElement("button");
        btn.textContent = b.text;
        btn.dataset.data = b.data;
        btn.addEventListener("click", () => press(m.id, b.data));
        r.appendChild(btn);
      }
      grid.appendChild(r);
    }
    el.appendChild(grid);
  }
  if (pane === "ops" && m.bot && (m.force_reply || m.text.includes("草稿 #"))) {
    // Replying to a prompt (edit text, reasons) or to a card (new reply text).
    const box = document.createElement("div");
    box.className = "reply-box";
    const input = document.createElement("input");
    input.placeholder = m.force_reply ? "回复此提示…" : "回复卡片以修改答复文本…";
    const send = document.createElement("button");
    send.textContent = "回复";
    send.addEventListener("click", async () => {
      if (!input.value.trim()) return;
      await post("/sandbox/reply", { as: actingAs(), message_id: m.id, text: input.value });
      input.value = "";
    });
    box.append(input, send);
    el.appendChild(box);
  }
  return el;
}

function drawChat(container, messages, pane) {
  const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 40;
  const byId = Object.fromEntries(messages.map((m) => [m.id, m]));
  const focused = document.activeElement && container.contains(document.activeElement);
  if (focused) return; // don't redraw under someone typing a reply
  container.replaceChildren(...messages.map((m) => drawMessage(m, byId, pane)));
  if (atBottom) container.scrollTop = container.scrollHeight;
}

async function refresh() {
  try {
    const resp = await fetch("/sandbox/state");
    const text = await resp.text();
    if (text !== lastJson) {
      lastJson = text;
      const state = JSON.parse(text);
      if (!staff.length) {
        staff = state.staff;
        const roles = { reviewer: "审核人", deputy_head: "分管负责人", head: "主要负责人", admin: "管理员" };
        for (const s of staff) {
          const opt = document.createElement("option");
          opt.value = s.id;
          opt.textContent = `${s.name}（${roles[s.role] || s.role}）`;
          $("as").appendChild(opt);
        }
      }
      drawChat($("citizen-chat"), state.citizen, "citizen");
      drawChat($("ops-chat"), state.ops, "ops");
      drawChat($("discussion-chat"), state.discussion, "discussion");
      $("hint").textContent = state.ops.length ? "卡片上的按钮以所选身份按下；重要草稿需分管负责人再签批。" : "";
    }
  } catch (err) {
    // The server may be restarting; try again on the next tick.
  }
}

async function press(messageId, data) {
  try {
    const answer = await post("/sandbox/press", { as: actingAs(), message_id: messageId, data });
    if (answer.text) toast(answer.text);
  } catch (err) {
    toast("操作失败：" + err.message);
  }
  refresh();
}

$("say-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("say").value.trim();
  if (!text) return;
  $("say").value = "";
  await post("/sandbox/say", { text });
  refresh();
});

for (const [form, input, path] of [["comment-form", "comment", "/sandbox/comment"], ["post-form", "post", "/sandbox/post"]]) {
  $(form).addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $(input).value.trim();
    if (!text) return;
    $(input).value = "";
    await post(path, { text });
    refresh();
  });
}

$("ops-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("ops-say").value.trim();
  if (!text) return;
  $("ops-say").value = "";
  await post("/sandbox/staff", { as: actingAs(), text });
  refresh();
});

$("open-console").addEventListener("click", async () => {
  const { link } = await post("/sandbox/console", { as: actingAs() });
  window.open(link, "_blank");
});

refresh();
setInterval(refresh, 700);
