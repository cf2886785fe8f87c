// Block Kit → DOM, for messages, modals and the App Home. Interactive elements call ctx.act(...) like a Slack
// client sends block_actions; inputs expose el._value() so a modal can collect view.state on submit.
"use strict";

(function () {
  const { textObject, escapeHtml, plainText } = window.HW;

  function h(tag, attrs = {}, html) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") el.className = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : value);
    }
    if (html !== undefined) el.innerHTML = html;
    return el;
  }

  const optionLabel = (option, ctx) => textObject(option.text, ctx);
  const optionsOf = (el) => (el.options || []).concat(...(el.option_groups || []).map((g) => g.options || []));
  const people = (ctx) => ctx.people.map((p) => ({ value: p.id, label: escapeHtml(p.real_name) }));
  const places = (ctx, el) => {
    const found = ctx.channels.map((c) => ({ value: c.id, label: "#" + escapeHtml(c.name) }));
    return el.type.includes("conversations") ? found.concat(ctx.dms.map((d) => ({ value: d.id, label: escapeHtml(d.name) }))) : found;
  };

  // What the person entered before (view state) wins over the element's initial value.
  function remembered(el, ctx) {
    const entry = ((ctx.remembered || {})[ctx.blockId] || {})[el.action_id];
    return entry || null;
  }

  function select(el, ctx, choices, initial, onChange) {
    const node = h("select", { class: "hw-select", "data-action-id": el.action_id, "data-type": el.type });
    const placeholder = el.placeholder ? el.placeholder.text : "Select an option";
    node.appendChild(h("option", { value: "" }, escapeHtml(placeholder)));
    for (const choice of choices) {
      node.appendChild(h("option", { value: choice.value, selected: choice.value === initial }, choice.label));
    }
    if (onChange) node.addEventListener("change", () => node.value && onChange(node.value));
    return node;
  }

  // Slack's multi-selects: chips for what is chosen, a picker to add one more.
  function multiSelect(el, ctx, choices, initial, onChange) {
    const wrap = h("div", { class: "hw-multi", "data-action-id": el.action_id, "data-type": el.type });
    const chosen = new Set(initial || []);
    const chips = h("div", { class: "chips" });
    const picker = h("select", { class: "hw-select add", "aria-label": (el.placeholder || {}).text || "Add" });
    const redraw = () => {
      chips.innerHTML = "";
      for (const choice of choices.filter((c) => chosen.has(c.value))) {
        const chip = h("span", { class: "chip", "data-value": choice.value }, choice.label);
        chip.appendChild(h("button", { class: "chip-x", type: "button", title: "Remove",
          onclick: () => { chosen.delete(choice.value); redraw(); onChange && onChange([...chosen]); } }, "×"));
        chips.appendChild(chip);
      }
      picker.innerHTML = "";
      picker.appendChild(h("option", { value: "" }, escapeHtml((el.placeholder || {}).text || "Add…")));
      for (const choice of choices.filter((c) => !chosen.has(c.value))) {
        picker.appendChild(h("option", { value: choice.value }, choice.label));
      }
    };
    picker.addEventListener("change", () => {
      if (!picker.value) return;
      chosen.add(picker.value); redraw(); onChange && onChange([...chosen]);
    });
    redraw();
    wrap.append(chips, picker);
    wrap._value = () => [...chosen];
    return wrap;
  }

  function staticChoices(el, ctx) {
    return optionsOf(el).map((o) => ({ value: o.value, label: optionLabel(o, ctx), option: o }));
  }

  // One interactive element. `dispatch` (actions blocks, accessories) sends block_actions on change/click.
  function element(el, ctx, dispatch) {
    const send = dispatch ? (value) => ctx.act(el, value, ctx.blockId) : null;
    const memory = remembered(el, ctx);
    let node;
    switch (el.type) {
      case "button": {
        node = h("button", { type: "button", class: "hw-button" + (el.style ? " " + el.style : ""),
          "data-action-id": el.action_id }, plainText(el.text.text, el.text.emoji !== false));
        if (el.url) node.addEventListener("click", () => window.open(el.url, "_blank", "noopener"));
        node.addEventListener("click", () => (el.confirm ? ctx.confirm(el.confirm) : Promise.resolve(true))
          .then((ok) => ok && ctx.act(el, el.value, ctx.blockId)));
        return node;
      }
      case "static_select": case "external_select": {
        const initial = memory ? (memory.selected_option || {}).value : (el.initial_option || {}).value;
        node = select(el, ctx, staticChoices(el, ctx), initial, send);
        node._value = () => node.value || null;
        return node;
      }
      case "users_select": {
        node = select(el, ctx, people(ctx), memory ? memory.selected_user : el.initial_user, send);
        node._value = () => node.value || null;
        return node;
      }
      case "conversations_select": case "channels_select": {
        const key = el.type === "channels_select" ? "channel" : "conversation";
        const initial = memory ? memory["selected_" + key] : el["initial_" + key];
        node = select(el, ctx, places(ctx, el), initial, send);
        node._value = () => node.value || null;
        return node;
      }
      case "multi_static_select": case "multi_external_select": {
        const initial = (memory ? memory.selected_options : el.initial_options || []).map((o) => o.value);
        return multiSelect(el, ctx, staticChoices(el, ctx), initial, send);
      }
      case "multi_users_select":
        return multiSelect(el, ctx, people(ctx), memory ? memory.selected_users : el.initial_users, send);
      case "multi_conversations_select": case "multi_channels_select": {
        const key = el.type.includes("channels") ? "channels" : "conversations";
        return multiSelect(el, ctx, places(ctx, el), memory ? memory["selected_" + key] : el["initial_" + key], send);
      }
      case "datepicker": case "timepicker": case "datetimepicker": {
        const kind = { datepicker: "date", timepicker: "time", datetimepicker: "datetime-local" }[el.type];
        const initial = memory ? memory.selected_date || memory.selected_time : el.initial_date || el.initial_time;
        node = h("input", { type: kind, class: "hw-input", value: initial, "data-action-id": el.action_id,
          "data-type": el.type });
        if (send) node.addEventListener("change", () => node.value && send(node.value));
        node._value = () => node.value || null;
        return node;
      }
      case "radio_buttons": case "checkboxes": {
        const multi = el.type === "checkboxes";
        const name = `${ctx.blockId}.${el.action_id}.${Math.random().toString(36).slice(2, 7)}`;
        const initial = memory ? (multi ? memory.selected_options : [memory.selected_option])
          : (multi ? el.initial_options : [el.initial_option]);
        const picked = new Set((initial || []).filter(Boolean).map((o) => o.value));
        node = h("div", { class: "hw-choices", "data-action-id": el.action_id, "data-type": el.type });
        for (const option of optionsOf(el)) {
          const label = h("label", { class: "hw-choice" });
          const input = h("input", { type: multi ? "checkbox" : "radio", name, value: option.value,
            checked: picked.has(option.value) });
          const text = h("span", {}, optionLabel(option, ctx) +
            (option.description ? `<div class="hint">${textObject(option.description, ctx)}</div>` : ""));
          label.append(input, text);
          node.appendChild(label);
        }
        const read = () => [...node.querySelectorAll("input:checked")].map((i) => i.value);
        if (send) node.addEventListener("change", () => send(multi ? read() : read()[0]));
        node._value = () => (multi ? read() : read()[0] || null);
        return node;
      }
      case "plain_text_input": case "number_input": case "email_text_input": case "url_text_input": {
        const initial = memory ? memory.value : el.initial_value;
        const attrs = { class: "hw-input", "data-action-id": el.action_id, "data-type": el.type,
          placeholder: el.placeholder ? el.placeholder.text : "", maxlength: el.max_length };
        if (el.multiline) node = h("textarea", { ...attrs, rows: 3 }, escapeHtml(initial || ""));
        else node = h("input", { ...attrs, value: initial ?? "",
          type: el.type === "number_input" ? "number" : el.type === "email_text_input" ? "email" : "text",
          step: el.type === "number_input" ? (el.is_decimal_allowed ? "any" : "1") : null,
          min: el.min_value, max: el.max_value });
        node._value = () => node.value;
        return node;
      }
      case "overflow": {
        node = select(el, ctx, staticChoices(el, ctx), null, send);
        node.classList.add("overflow");
        return node;
      }
      case "image":
        return h("img", { class: "accessory-image", src: imageSrc(el), alt: el.alt_text || "" });
      default:
        return h("span", { class: "unsupported" }, `[${escapeHtml(el.type)}]`);
    }
  }

  function imageSrc(block) {
    if (block.slack_file) return `/playground/files/${encodeURIComponent(block.slack_file.id || "")}`;
    return /^https?:/.test(block.image_url || "") ? block.image_url : "";
  }

  function block(b, ctx) {
    const c = { ...ctx, blockId: b.block_id };
    const node = h("div", { class: "blk blk-" + b.type, "data-block-id": b.block_id });
    switch (b.type) {
      case "header":
        node.innerHTML = plainText(b.text.text, b.text.emoji !== false);
        break;
      case "section": {
        const body = h("div", { class: "section-body" });
        if (b.text) body.appendChild(h("div", { class: "section-text" }, textObject(b.text, c)));
        if (b.fields) {
          const grid = h("div", { class: "fields" });
          for (const f of b.fields) grid.appendChild(h("div", { class: "field" }, textObject(f, c)));
          body.appendChild(grid);
        }
        node.appendChild(body);
        if (b.accessory) {
          const acc = h("div", { class: "accessory" });
          acc.appendChild(element(b.accessory, c, true));
          node.appendChild(acc);
        }
        break;
      }
      case "divider":
        node.appendChild(h("hr"));
        break;
      case "context":
        for (const item of b.elements || []) {
          node.appendChild(item.type === "image" ? h("img", { src: imageSrc(item), alt: item.alt_text || "" })
            : h("span", {}, textObject(item, c)));
        }
        break;
      case "actions":
        for (const el of b.elements || []) node.appendChild(element(el, c, true));
        break;
      case "image": {
        if (b.title) node.appendChild(h("div", { class: "image-title" }, textObject(b.title, c)));
        node.appendChild(h("img", { src: imageSrc(b), alt: b.alt_text || "", class: "block-image" }));
        break;
      }
      case "input": {
        const label = h("label", { class: "input-label" }, plainText(b.label.text));
        if (b.optional) label.appendChild(h("span", { class: "optional" }, " (optional)"));
        node.appendChild(label);
        node.appendChild(element(b.element, c, Boolean(b.dispatch_action)));
        if (b.hint) node.appendChild(h("div", { class: "hint" }, textObject(b.hint, c)));
        node.appendChild(h("div", { class: "input-error", role: "alert" }));
        if (!b.optional) node.dataset.required = "1";
        break;
      }
      case "rich_text":
        node.innerHTML = escapeHtml(JSON.stringify(b.elements || []).slice(0, 200));
        break;
      default:
        node.textContent = `[${b.type}]`;
    }
    return node;
  }

  // A list of blocks (or a message's fallback text when it has none).
  function blocks(list, ctx, fallback) {
    const wrap = h("div", { class: "blocks" });
    if (!list || !list.length) {
      wrap.appendChild(h("div", { class: "blk-text" }, window.HW.mrkdwn(fallback || "", ctx)));
      return wrap;
    }
    for (const b of list) wrap.appendChild(block(b, ctx));
    return wrap;
  }

  window.HW = Object.assign(window.HW, { h, blocks, block, element, imageSrc });
})();
