// The playground page: acting-as picker, sidebar, channel and thread views, composer, App Home, clock control.
// It only reads the emulator (JSON API) and acts through it; a WebSocket says when to read again.
"use strict";

(function () {
  const { h, blocks, escapeHtml, ModalHost, confirmDialog } = window.HW;
  const COMMANDS = [
    ["/headway help", "projects, roles, progress, digests: everything Headway does"],
    ["/standup help", "async standups: create, answer, pause, stats"],
    ["/gate help", "go/no-go gates: request, vote, close, history"],
  ];
  const COLORS = ["#e8912d", "#2bac76", "#1264a3", "#e01e5a", "#7c3085", "#0b4c8c", "#d4a72c"];

  class App {
    constructor() {
      const params = new URLSearchParams(location.search);
      this.team = params.get("team") || localStorage.getItem("hw-team") || "";  // "": the first workspace
      this.me = params.get("as") || localStorage.getItem("hw-as") || "";
      this.channel = params.get("channel") || localStorage.getItem("hw-channel") || "";
      this.tab = "messages";
      this.threadTs = null;
      this.data = null;
      this.modals = new ModalHost(this);
      this.pending = null;
      this.again = false;
    }

    // ------------------------------------------------------------ plumbing
    async get(name, query = {}) {
      const url = `/playground/api/${name}?` + new URLSearchParams({ as: this.me, ...this.where(), ...query });
      const response = await fetch(url);
      return response.ok ? response.json() : null;
    }

    where() {  // which workspace every read and write is for (the switcher's)
      return this.team ? { team: this.team } : {};
    }

    async post(name, body = {}) {
      const response = await fetch(`/playground/api/${name}?` + new URLSearchParams(this.where()), { method: "POST",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify({ as: this.me, ...body }) });
      const text = await response.text();
      try { return { status: response.status, ...JSON.parse(text) }; } catch (e) { return { ok: false, error: text }; }
    }

    toast(text) {
      const node = document.getElementById("toast");
      node.textContent = text;
      node.hidden = false;
      clearTimeout(this.toastTimer);
      this.toastTimer = setTimeout(() => { node.hidden = true; }, 6000);
    }

    connect() {
      const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/playground/ws`);
      socket.onmessage = () => this.refresh();
      socket.onclose = () => setTimeout(() => this.connect(), 1000);
    }

    // Re-read everything shown; calls arriving while one runs are folded into one more pass.
    async refresh() {
      if (this.pending) { this.again = true; return this.pending; }
      this.pending = (async () => {
        do {
          this.again = false;
          await this.load();
        } while (this.again);
      })();
      try { await this.pending; } finally { this.pending = null; }
    }

    async load() {
      // The open conversation is read first, so it is marked read before the sidebar counts unread messages.
      // Only for a place this person is known to have (after switching person, the old DM is not theirs: no 404).
      const known = this.data && this.data.me === this.me &&
        [...this.data.channels, ...this.data.dms].some((p) => p.id === this.channel);
      const early = known && this.tab === "messages" ? await this.get("conversation", { channel: this.channel })
        : null;
      let data = await this.get("workspace");
      if (!data && this.me) {  // a person of another workspace (remembered from before a switch): its first person
        this.me = "";
        data = await this.get("workspace");
      }
      if (!data) return;
      this.team = data.team.id;
      // The person was switched while this was read: it is the previous person's page, so read again.
      if (this.me && data.me !== this.me) { this.again = true; return; }
      this.data = data;
      this.me = data.me;
      const places = [...data.channels, ...data.dms];
      if (!places.some((p) => p.id === this.channel)) {
        this.channel = (data.channels.find((c) => c.name === "ml-projects") || places[0] || {}).id;
      }
      const views = await this.get("views");
      const conversation = this.tab !== "messages" ? null
        : early && early.channel === this.channel ? early : await this.get("conversation", { channel: this.channel });
      const thread = this.threadTs ? await this.get("thread", { channel: this.channel, ts: this.threadTs }) : null;
      this.drawTop();
      this.drawSidebar();
      // Draw the channel (or Home) and the thread only when what they show changed: what a person is doing
      // there (a half-made choice, the scroll position) survives other people's activity.
      const main = JSON.stringify([this.me, this.channel, this.tab, conversation, views && views.home]);
      if (main !== this.drawn) { this.drawn = main; this.drawMain(conversation, views); }
      const side = JSON.stringify([this.me, thread]);
      if (side !== this.drawnThread) { this.drawnThread = side; this.drawThread(thread); }
      this.modals.show(views && views.modal, views ? views.depth : 0);
      document.body.dataset.ready = "1";
      document.body.dataset.me = this.me;  // whose page is drawn (tests wait for it after switching person)
    }

    blockContext(extra = {}) {
      const d = this.data;
      return { users: d.users, names: d.names, me: this.me, channels: d.channels, dms: d.dms,
        people: d.people, confirm: (c) => confirmDialog(c, this.blockContext()), ...extra };
    }

    async act(el, value, blockId, where) {
      const answer = await this.post("action", { action_id: el.action_id, block_id: blockId, value,
        type: el.type, ...where });
      if (!answer.ok) this.toast(answer.error || `The app answered HTTP ${answer.status}`);
      await this.refresh();
    }

    // ------------------------------------------------------------ top bar
    drawTop() {
      const d = this.data;
      document.getElementById("team").textContent = d.team.name;
      this.drawWorkspaces();
      const picker = document.getElementById("acting-as");
      if (!picker.options.length) {
        for (const p of d.people) {
          // The whole name in the list; what the person does in a tooltip (a long note would cut the name).
          picker.appendChild(h("option", { value: p.id, title: `${p.real_name}${p.note ? " — " + p.note : ""}` },
            escapeHtml(p.real_name)));
        }
        if (!picker.dataset.listening) {  // once: the list is drawn again after a workspace switch
          picker.dataset.listening = "1";
          picker.addEventListener("change", () => this.switchTo(picker.value));
          document.getElementById("set-status").addEventListener("click", () => this.setStatus());
        }
      }
      picker.value = this.me;
      const person = d.people.find((p) => p.id === this.me);
      picker.title = person ? `${person.real_name}${person.note ? " — " + person.note : ""}` : "";
      const local = person ? this.now().toLocaleTimeString([], { timeZone: this.clockZone(person),
        hour: "2-digit", minute: "2-digit" }) : "";
      document.getElementById("who").textContent = person ? `${person.note ? person.note + " · " : ""}${person.tz} · ${local}` : "";
      this.drawClock(person);
    }

    clockZone(person) { return person.tz || "UTC"; }

    // The app's time: the emulated clock when the page moves one, else the real one.
    now() { return this.data && this.data.clock ? new Date(this.data.clock.now) : new Date(); }

    // The calendar day of a moment in the reader's zone ("2026-11-23"), to compare days.
    dayOf(when, zone) { return when.toLocaleDateString("en-CA", { timeZone: zone }); }

    // Weekday and time within this week, the full date beyond it (two prompts never both read "Mon 9:30").
    stamp(when, zone) {
      const recent = Math.abs(this.now() - when) < 6 * 24 * 3600 * 1000;
      return when.toLocaleString([], recent ? { timeZone: zone, weekday: "short", hour: "numeric", minute: "2-digit" }
        : { timeZone: zone, weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "numeric",
          minute: "2-digit" });
    }

    divider(when, zone) {
      const today = this.dayOf(this.now(), zone);
      const day = this.dayOf(when, zone);
      const yesterday = this.dayOf(new Date(this.now() - 24 * 3600 * 1000), zone);
      const label = day === today ? "Today" : day === yesterday ? "Yesterday"
        : when.toLocaleDateString([], { timeZone: zone, weekday: "long", day: "numeric", month: "long",
          year: "numeric" });
      return h("div", { class: "day-divider", "data-day": day }, `<span>${escapeHtml(label)}</span>`);
    }

    zone() {
      const person = this.data.people.find((p) => p.id === this.me);
      return person ? person.tz || "UTC" : "UTC";
    }

    when(m) { return m.clock_at ? new Date(m.clock_at) : new Date(Number(m.ts) * 1000); }

    drawClock(person) {
      const box = document.getElementById("clock");
      const clock = this.data.clock;
      box.hidden = !clock;
      if (!clock) return;
      const now = new Date(clock.now);
      const theirs = person ? now.toLocaleString([], { timeZone: person.tz, weekday: "short", hour: "2-digit",
        minute: "2-digit" }) : "";
      document.getElementById("clock-now").textContent = theirs ? `${theirs} for you (${clock.label})` : clock.label;
      const ops = document.getElementById("clock-ops");
      if (ops.childElementCount === clock.ops.length) return;
      ops.innerHTML = "";
      for (const op of clock.ops) {
        ops.appendChild(h("button", { type: "button", class: "clock-op", "data-op": op.op, title: op.title,
          onclick: () => this.moveClock(op.op) }, escapeHtml(op.label)));
      }
    }

    async moveClock(op) {
      document.body.classList.add("busy");
      const answer = await this.post("clock", { op });
      document.body.classList.remove("busy");
      if (!answer.ok) { this.toast(answer.error || "The clock did not move"); return; }
      const did = answer.said || "";  // worded by the app's clock control, counts and nouns agreeing
      await this.refresh();
      this.toast(`${answer.clock.label}: ${did || "nothing was due"}`);
    }

    // The person's Slack status, e.g. ":palm_tree: On vacation" (empty clears it); Slack then sends user_change.
    async setStatus() {
      const typed = window.prompt("Your Slack status, e.g. :palm_tree: On vacation (empty clears it)", "");
      if (typed === null) return;
      const match = typed.trim().match(/^(:[a-z0-9_+-]+:)?\s*(.*)$/i);
      const answer = await this.post("status", { as: this.me, emoji: match[1] || "", text: match[2] || "" });
      this.toast(answer.ok ? (typed.trim() ? `Status set: ${typed.trim()}` : "Status cleared") : answer.error);
    }

    // The workspace switcher (every workspace of the emulator; "not installed" until Headway is) and the "Add to
    // Slack" button (Headway's own install page, when the app runs with OAuth configured).
    drawWorkspaces() {
      const d = this.data;
      const switcher = document.getElementById("workspace");
      const drawn = JSON.stringify(d.workspaces);
      if (switcher.dataset.drawn !== drawn) {
        switcher.dataset.drawn = drawn;
        switcher.replaceChildren(...d.workspaces.map((w) => h("option", { value: w.id },
          escapeHtml(w.name + (w.installed ? "" : " (Headway not installed)")))));
        if (!switcher.dataset.listening) {
          switcher.dataset.listening = "1";
          switcher.addEventListener("change", () => this.switchTeam(switcher.value));
        }
      }
      switcher.value = d.team.id;
      const install = document.getElementById("add-to-slack");
      install.hidden = !d.install_url;
      if (d.install_url) install.href = d.install_url;
    }

    switchTeam(teamId) {
      this.team = teamId;
      this.me = "";
      this.channel = "";
      this.threadTs = null;
      this.tab = "messages";
      this.drawn = this.drawnThread = null;
      localStorage.setItem("hw-team", teamId);
      localStorage.removeItem("hw-as");
      document.getElementById("acting-as").replaceChildren();  // the other workspace's people
      history.replaceState(null, "", `?team=${encodeURIComponent(teamId)}`);
      this.modals.shown = null;
      this.refresh();
    }

    switchTo(userId) {
      this.me = userId;
      this.threadTs = null;
      this.tab = "messages";
      localStorage.setItem("hw-as", userId);
      history.replaceState(null, "", `?` + new URLSearchParams({ as: userId, ...this.where() }));
      this.modals.shown = null;
      this.refresh();
    }

    // ------------------------------------------------------------ sidebar
    drawSidebar() {
      const d = this.data;
      const key = JSON.stringify([this.me, this.channel, this.tab, d.channels, d.dms]);
      if (key === this.drawnSidebar) return; // unchanged: keep the nodes (a click in progress stays on them)
      this.drawnSidebar = key;
      const item = (place, label, kind) => {
        const active = place.id === this.channel && !(kind === "app" && this.tab === "home");
        const node = h("button", { type: "button", class: `side-item${active ? " active" : ""}${place.unread ? " unread" : ""}`,
          "data-channel": place.id, "data-kind": kind, onclick: () => this.open(place.id) },
          `<span class="side-icon">${kind === "channel" ? "#" : kind === "app" ? "⚡" : "●"}</span>` +
          `<span class="side-name">${escapeHtml(label)}</span>` +
          (place.unread ? `<span class="badge">${place.unread}</span>` : ""));
        return node;
      };
      const channels = document.getElementById("side-channels");
      channels.replaceChildren(...d.channels.map((c) => item(c, c.name, "channel")));
      const dms = document.getElementById("side-dms");
      const people = d.dms.filter((m) => !m.user);
      dms.replaceChildren(...people.map((m) => item(m, m.name, "dm")));
      document.getElementById("side-dms-head").hidden = !people.length;  // no empty heading
      const apps = document.getElementById("side-apps");
      apps.replaceChildren(...d.dms.filter((m) => m.user).map((m) => item(m, m.name, "app")));
    }

    open(channelId, tab = "messages") {
      this.channel = channelId;
      this.tab = tab;
      this.threadTs = null;
      localStorage.setItem("hw-channel", channelId);
      this.refresh();
    }

    async openHome() {
      this.tab = "home";
      await this.post("home");
      await this.refresh();
    }

    // ------------------------------------------------------------ channel and App Home
    isAppDm() { return this.data.dms.some((m) => m.user && m.id === this.channel); }

    drawMain(conversation, views) {
      const head = document.getElementById("main-head");
      const appDm = this.isAppDm();
      const title = conversation ? conversation.name : this.data.dms.find((m) => m.id === this.channel)?.name || "";
      this.drawHead(head, appDm, title);
      this.drawList(conversation, views, appDm, title);
    }

    drawHead(head, appDm, title) {
      const key = JSON.stringify([appDm, title, this.tab, this.channel]);
      if (key === this.drawnHead) return;
      this.drawnHead = key;
      head.innerHTML = `<div class="main-title">${appDm ? "⚡ Headway" : escapeHtml(title)}</div>`;
      if (appDm) {
        const tabs = h("div", { class: "tabs" });
        for (const [tab, label] of [["home", "Home"], ["messages", "Messages"]]) {
          tabs.appendChild(h("button", { type: "button", class: `tab${this.tab === tab ? " active" : ""}`,
            "data-tab": tab, onclick: () => (tab === "home" ? this.openHome() : this.open(this.channel)) }, label));
        }
        head.appendChild(tabs);
      }
    }

    drawList(conversation, views, appDm, title) {
      const list = document.getElementById("messages");
      const composer = document.getElementById("composer");
      composer.hidden = this.tab === "home";
      if (this.tab === "home") {
        const home = views && views.home;
        list.replaceChildren(home ? h("div", { class: "home", "data-view-id": home.id }) : h("div", { class: "empty" },
          "Opening Headway's Home…"));
        if (home) list.firstChild.appendChild(blocks(home.blocks, this.blockContext({
          act: (el, value, blockId) => this.act(el, value, blockId, { view_id: home.id }) })));
        return;
      }
      const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
      const nodes = [];
      let lastDay = null;
      for (const m of conversation ? conversation.messages : []) {
        const day = this.dayOf(this.when(m), this.zone());
        if (day !== lastDay) { nodes.push(this.divider(this.when(m), this.zone())); lastDay = day; }
        nodes.push(this.message(m, true));
      }
      const canvases = (conversation && conversation.canvases || []).map((c) => h("a", { class: "canvas-tab",
        href: `/playground/canvases/${encodeURIComponent(c.id)}`, target: "_blank", rel: "noopener" },
        `📋 Canvas: ${escapeHtml(c.title)}`));
      list.replaceChildren(...canvases, ...(nodes.length ? nodes : [h("div", { class: "empty" }, "No messages yet.")]));
      if (stick || !this.scrolledOnce) { list.scrollTop = list.scrollHeight; this.scrolledOnce = true; }
      document.getElementById("compose-text").placeholder = `Message ${appDm ? "Headway" : title}` +
        " — or type / for Headway's commands";
    }

    message(m, inChannel) {
      const d = this.data;
      const user = d.users[m.user] || { name: m.user || "someone", real_name: m.user || "someone", is_bot: false };
      const bot = Boolean(m.bot_id) || user.is_bot;
      const name = bot ? "Headway" : user.real_name;
      const node = h("div", { class: `msg${m.ephemeral ? " ephemeral" : ""}`, "data-ts": m.ts });
      const color = COLORS[[...(m.user || "")].reduce((a, ch) => a + ch.charCodeAt(0), 0) % COLORS.length];
      node.appendChild(h("div", { class: `avatar${bot ? " bot" : ""}`, style: `background:${bot ? "#4a154b" : color}` },
        bot ? "⚡" : escapeHtml(name.slice(0, 1))));
      const body = h("div", { class: "msg-body" });
      const when = this.when(m);
      const time = this.stamp(when, this.zone());
      body.appendChild(h("div", { class: "msg-head" }, `<b>${escapeHtml(name)}</b>` +
        (bot ? '<span class="app-badge">APP</span>' : "") + `<span class="msg-time">${time}</span>`));
      const where = { channel: this.channel, ts: m.ts };
      body.appendChild(blocks(m.blocks, this.blockContext({
        act: (el, value, blockId) => this.act(el, value, blockId, where) }), m.text));
      for (const file of m.files || []) {
        const src = `/playground/files/${encodeURIComponent(file.id)}`;
        if ((file.mimetype || "").startsWith("image/")) {
          body.appendChild(h("img", { class: "block-image", src, alt: file.title || file.name || "" }));
        } else {  // a report's Markdown or CSV: a file card that opens it
          body.appendChild(h("a", { class: "file-card", href: src, target: "_blank", rel: "noopener" },
            `📄 ${escapeHtml(file.name || file.id)}`));
        }
      }
      if (m.edited) body.appendChild(h("span", { class: "edited" }, "(edited)"));
      if (m.ephemeral) node.insertBefore(h("div", { class: "only-you" }, "👁 Only visible to you"), node.firstChild);
      if (inChannel && m.reply_count) {
        body.appendChild(h("button", { type: "button", class: "replies", "data-thread": m.ts,
          onclick: () => { this.threadTs = m.ts; this.refresh(); } },
          `${m.reply_count} ${m.reply_count === 1 ? "reply" : "replies"}`));
      }
      node.appendChild(body);
      return node;
    }

    drawThread(thread) {
      const pane = document.getElementById("thread");
      pane.hidden = !thread;
      if (!thread) return;
      const list = document.getElementById("thread-messages");
      list.replaceChildren(...thread.messages.map((m, i) => {
        const node = this.message(m, false);
        if (i === 0) node.classList.add("thread-parent");
        return node;
      }));
    }

    // ------------------------------------------------------------ composer
    async send(text, threadTs) {
      if (!text.trim()) return;
      const answer = await this.post("compose", { channel: this.channel, text, thread_ts: threadTs || undefined });
      if (!answer.ok) this.toast(answer.error || `The app answered HTTP ${answer.status}`);
      await this.refresh();
    }

    bindComposer() {
      const input = document.getElementById("compose-text");
      const hints = document.getElementById("hints");
      const showHints = () => {
        const text = input.value;
        const matches = text.startsWith("/") && !text.includes(" ") ? COMMANDS.filter(([c]) => c.startsWith(text)) : [];
        hints.hidden = !matches.length;
        hints.replaceChildren(...matches.map(([command, what]) => h("button", { type: "button", class: "hint-item",
          onclick: () => { input.value = command.replace(" help", " "); input.focus(); hints.hidden = true; } },
          `<b>${escapeHtml(command.split(" ")[0])}</b> <span>${escapeHtml(command.split(" ")[1])}</span>` +
          `<div>${escapeHtml(what)}</div>`)));
      };
      input.addEventListener("input", showHints);
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !event.shiftKey) {
          event.preventDefault();
          const text = input.value;
          input.value = "";
          hints.hidden = true;
          this.send(text);
        }
      });
      document.getElementById("compose-send").addEventListener("click", () => {
        const text = input.value; input.value = ""; this.send(text);
      });
      const reply = document.getElementById("reply-text");
      reply.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !event.shiftKey) {
          event.preventDefault();
          const text = reply.value; reply.value = ""; this.send(text, this.threadTs);
        }
      });
      document.getElementById("thread-close").addEventListener("click", () => { this.threadTs = null; this.refresh(); });
    }
  }

  window.addEventListener("DOMContentLoaded", () => {
    const app = new App();
    window.playground = app;
    app.bindComposer();
    app.refresh().then(() => app.connect());
  });
})();
