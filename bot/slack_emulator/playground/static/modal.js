// Modals as Slack shows them: title, blocks, Cancel/Submit; inline errors from `response_action: errors`.
"use strict";

(function () {
  const { h, blocks, plainText, escapeHtml, textObject } = window.HW;

  // Collect view.state like Slack's client: {block_id: {action_id: value}} for every input the view holds.
  function collect(root) {
    const values = {};
    for (const node of root.querySelectorAll("[data-action-id]")) {
      if (typeof node._value !== "function") continue;
      const blockNode = node.closest("[data-block-id]");
      if (!blockNode || !blockNode.dataset.blockId) continue;
      const block = blockNode.dataset.blockId;
      (values[block] = values[block] || {})[node.dataset.actionId] = node._value();
    }
    return values;
  }

  function empty(value) {
    return value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length);
  }

  // Slack's client refuses an empty required field before anything is sent.
  function missing(root) {
    let first = null;
    for (const blockNode of root.querySelectorAll(".blk-input[data-required]")) {
      const input = blockNode.querySelector("[data-action-id]");
      const bad = input && typeof input._value === "function" && empty(input._value());
      blockNode.classList.toggle("has-error", bad);
      blockNode.querySelector(".input-error").textContent = bad ? "Please complete this required field." : "";
      if (bad && !first) first = blockNode;
    }
    return first;
  }

  function showErrors(root, errors) {
    for (const blockNode of root.querySelectorAll(".blk-input")) {
      const message = errors[blockNode.dataset.blockId];
      blockNode.classList.toggle("has-error", Boolean(message));
      blockNode.querySelector(".input-error").textContent = message || "";
    }
  }

  class ModalHost {
    constructor(app) {
      this.app = app;
      this.layer = document.getElementById("modal-layer");
      this.shown = null; // id + hash of the view on screen: re-draw only when Slack's copy changed
    }

    show(view, depth) {
      if (!view) {
        this.layer.hidden = true;
        this.layer.innerHTML = "";
        this.shown = null;
        return;
      }
      const key = `${view.id}:${view.hash}`;
      if (key === this.shown) return;
      this.shown = key;
      this.draw(view, depth);
    }

    draw(view, depth) {
      const ctx = this.app.blockContext({ remembered: view.remembered,
        act: (el, value, blockId) => this.app.act(el, value, blockId, { view_id: view.id }) });
      const box = h("div", { class: "modal", role: "dialog", "aria-modal": "true", "data-view-id": view.id,
        "data-callback-id": view.callback_id || "" });
      const head = h("div", { class: "modal-head" });
      if (depth > 1) head.appendChild(h("button", { class: "modal-back", type: "button", title: "Back",
        onclick: () => this.close(view) }, "‹"));
      head.appendChild(h("div", { class: "modal-title" }, plainText(view.title ? view.title.text : "")));
      head.appendChild(h("button", { class: "modal-x", type: "button", title: "Close", "aria-label": "Close",
        onclick: () => this.close(view) }, "×"));
      const body = h("div", { class: "modal-body" });
      body.appendChild(blocks(view.blocks, ctx));
      const foot = h("div", { class: "modal-foot" });
      foot.appendChild(h("button", { type: "button", class: "hw-button", onclick: () => this.close(view) },
        plainText(view.close ? view.close.text : "Cancel")));
      if (view.submit) {
        foot.appendChild(h("button", { type: "button", class: "hw-button primary modal-submit",
          onclick: () => this.submit(view, body) }, plainText(view.submit.text)));
      }
      box.append(head, body, foot);
      this.layer.innerHTML = "";
      this.layer.appendChild(box);
      this.layer.hidden = false;
    }

    async submit(view, body) {
      const bad = missing(body);
      if (bad) { bad.scrollIntoView({ block: "center" }); return; }
      const answer = await this.app.post("submit", { view_id: view.id, values: collect(body) });
      if (answer.errors && Object.keys(answer.errors).length) {
        showErrors(body, answer.errors);
        const first = body.querySelector(".has-error");
        if (first) first.scrollIntoView({ block: "center" });
      } else if (!answer.ok) {
        this.app.toast(answer.error || `The app answered HTTP ${answer.status}`);
      }
      await this.app.refresh();
    }

    async close(view) {
      await this.app.post("close", { view_id: view.id });
      this.shown = null;
      await this.app.refresh();
    }
  }

  // A confirm dialog ({title, text, confirm, deny, style}) before a button's action is sent.
  function confirmDialog(confirm, ctx) {
    return new Promise((resolve) => {
      const layer = document.getElementById("confirm-layer");
      const done = (ok) => { layer.hidden = true; layer.innerHTML = ""; resolve(ok); };
      const box = h("div", { class: "modal confirm", role: "alertdialog" });
      box.appendChild(h("div", { class: "modal-head" },
        `<div class="modal-title">${plainText(confirm.title ? confirm.title.text : "Are you sure?")}</div>`));
      box.appendChild(h("div", { class: "modal-body" }, textObject(confirm.text, ctx)));
      const foot = h("div", { class: "modal-foot" });
      foot.appendChild(h("button", { type: "button", class: "hw-button", onclick: () => done(false) },
        escapeHtml(confirm.deny ? confirm.deny.text : "Cancel")));
      foot.appendChild(h("button", { type: "button", class: "hw-button " + (confirm.style || "primary"),
        onclick: () => done(true) }, escapeHtml(confirm.confirm ? confirm.confirm.text : "Yes")));
      box.appendChild(foot);
      layer.innerHTML = "";
      layer.appendChild(box);
      layer.hidden = false;
    });
  }

  window.HW = Object.assign(window.HW, { ModalHost, confirmDialog, collect });
})();
