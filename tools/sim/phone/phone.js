// The customer phone (served by tools/sim/sim.mjs at /phone). Plain JavaScript, no framework:
// every text from a message is inserted with textContent, never as HTML; links and images only
// with http(s) URLs. The conversation is long-polled from /__sim/phone/messages.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const ui = {
    phone: document.querySelector('.phone'),
    channel: $('channel'),
    name: $('customer-name'),
    customer: $('customer-id'),
    customerLabel: $('customer-id-label'),
    fresh: $('new-customer'),
    status: $('status'),
    list: $('messages'),
    form: $('composer'),
    text: $('text'),
    send: $('send'),
    photo: $('photo'),
    photoFile: $('photo-file'),
  };
  const state = { channels: [], type: '', customer: '', name: '', since: 0, gen: 0, ctrl: null, items: new Map() };

  const store = {
    get(key) {
      try {
        return JSON.parse(localStorage.getItem(`bottega-phone:${key}`) ?? 'null');
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        localStorage.setItem(`bottega-phone:${key}`, JSON.stringify(value));
      } catch {
        /* private mode: the identity lasts as long as the page */
      }
    },
  };

  const digits = (n) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => String(b % 10)).join('');
  const letters = (n) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[b % 62]).join('');
  function randomCustomer(type) {
    if (type === 'whatsapp') return `393${digits(9)}`; // an Italian mobile number
    if (type === 'twilio') return `+1555${digits(7)}`; // a US number (E.164)
    if (type === 'viber') return `${letters(22)}==`; // a Viber user id (base64 of 16 bytes)
    if (type === 'wechat') return `o${letters(27)}`; // an OpenID
    if (type === 'telegram') return `${1 + (crypto.getRandomValues(new Uint8Array(1))[0] % 9)}${digits(9)}`;
    return `${1 + (crypto.getRandomValues(new Uint8Array(1))[0] % 9)}${digits(15)}`; // a page-scoped id
  }

  // The customer's id as each channel has it (the simulator checks the same).
  const IDS = {
    twilio: [/^\+[1-9]\d{7,14}$/, 'The number must be + and 8 to 15 digits.', 'Number'],
    viber: [/^[A-Za-z0-9+/=]{8,64}$/, 'A Viber user id is 8 to 64 of A-Z, a-z, 0-9, +, / and =.', 'Viber id'],
    wechat: [/^[A-Za-z0-9_-]{6,64}$/, 'An OpenID is 6 to 64 of A-Z, a-z, 0-9, _ and -.', 'OpenID'],
  };
  const DIGITS = [/^[1-9]\d{4,15}$/, 'The number must be 5 to 16 digits, not starting with 0.', 'Number'];
  const idRule = (type) => IDS[type] ?? DIGITS;
  const validCustomer = (type, id) => idRule(type)[0].test(id ?? '');
  // Photos: every app; Messenger, Instagram and WeChat send them without a caption.
  const photoCaption = (type) => !['messenger', 'instagram', 'wechat'].includes(type);

  function setStatus(text) {
    ui.status.textContent = text;
  }

  async function api(method, path, body, signal) {
    const r = await fetch(path, {
      method,
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
      signal,
    });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(data.error || `HTTP ${r.status}`);
    return data;
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // ----- channels and the customer's identity

  async function loadChannels() {
    for (;;) {
      try {
        const { channels } = await api('GET', '/__sim/phone/channels');
        if (channels.length) return channels;
        setStatus('Waiting for the shop’s channels (make demo, or scripts/demo.mjs, hands them to the simulator)…');
      } catch (e) {
        setStatus(`The simulator does not answer (${e.message}); retrying…`);
      }
      await sleep(1000);
    }
  }

  function fillChannels(channels) {
    state.channels = channels;
    ui.channel.replaceChildren(
      ...channels.map((c) => {
        const o = document.createElement('option');
        o.value = c.type;
        o.textContent = c.name;
        return o;
      }),
    );
  }

  function identity(type) {
    let id = store.get(`id:${type}`);
    if (!id || !validCustomer(type, id.customer)) {
      id = { customer: randomCustomer(type), name: store.get('name') || 'Sheena Nelson' };
      store.set(`id:${type}`, id);
    }
    return id;
  }

  function selectChannel(type) {
    state.type = type;
    ui.channel.value = type;
    ui.phone.dataset.app = type;
    const id = identity(type);
    state.customer = id.customer;
    state.name = id.name;
    ui.customer.value = id.customer;
    ui.customer.inputMode = IDS[type] && type !== 'twilio' ? 'text' : 'tel';
    ui.customer.setAttribute('aria-label', `Customer ${idRule(type)[2]}`);
    ui.customerLabel.textContent = idRule(type)[2];
    ui.name.value = id.name;
    restart();
  }

  function saveIdentity() {
    store.set(`id:${state.type}`, { customer: state.customer, name: state.name });
    store.set('name', state.name);
  }

  // ----- the conversation

  function restart() {
    state.gen += 1;
    state.ctrl?.abort();
    state.ctrl = new AbortController();
    state.since = 0;
    state.items.clear();
    ui.list.replaceChildren();
    ui.text.disabled = false;
    ui.send.disabled = false;
    ui.photo.disabled = false;
    setStatus('');
    poll(state.gen, state.ctrl.signal);
  }

  async function poll(gen, signal) {
    let failures = 0;
    while (gen === state.gen) {
      try {
        const q = new URLSearchParams({ channel: state.type, customer: state.customer, since: String(state.since), wait: '25000' });
        const r = await api('GET', `/__sim/phone/messages?${q}`, null, signal);
        if (gen !== state.gen) return;
        if (r.last_seq < state.since) {
          restart(); // the simulator was reset: start over
          return;
        }
        for (const m of r.messages) show(m);
        failures = 0;
        setStatus('');
      } catch (e) {
        if (gen !== state.gen) return;
        failures += 1;
        setStatus(`Lost the simulator (${e.message}); retrying…`);
        await sleep(Math.min(500 * failures, 5000));
      }
    }
  }

  function time(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  const httpUrl = (u) => typeof u === 'string' && /^https?:\/\//i.test(u);
  // Images: the business's (http(s)) or the customer's own photo, kept by the simulator.
  const imageUrl = (u) => httpUrl(u) || (typeof u === 'string' && /^\/phone\/media\/[a-z]+\/[A-Za-z0-9_-]+$/.test(u));

  function render(m) {
    const li = document.createElement('li');
    li.className = `msg ${m.from}`;
    li.dataset.seq = String(m.seq);
    li.dataset.from = m.from;
    if (m.status) li.dataset.status = m.status;
    if (m.status === 'failed') li.classList.add('failed');
    if (imageUrl(m.image)) {
      const img = document.createElement('img');
      img.src = m.image;
      img.alt = '';
      img.referrerPolicy = 'no-referrer';
      img.addEventListener('error', () => img.remove()); // e.g. a demo catalog image on no real host
      li.append(img);
    }
    if (m.header) {
      const h = document.createElement('div');
      h.className = 'header';
      h.textContent = m.header;
      li.append(h);
    }
    const text = document.createElement('div');
    text.className = 'text';
    text.textContent = m.text ?? '';
    li.append(text);
    const buttons = m.buttons ?? [];
    const links = (m.links ?? []).filter((l) => httpUrl(l.url));
    if (buttons.length || links.length) {
      const actions = document.createElement('div');
      actions.className = 'actions';
      if (m.list) {
        const label = document.createElement('div');
        label.className = 'list-label';
        label.textContent = m.list;
        actions.append(label);
      }
      for (const b of buttons) {
        const btn = document.createElement('button');
        btn.type = 'button';
        btn.className = 'choice';
        btn.dataset.id = b.id;
        btn.textContent = b.title;
        if (b.description) {
          const d = document.createElement('span');
          d.className = 'desc';
          d.textContent = b.description;
          btn.append(d);
        }
        btn.addEventListener('click', () => tap(m, b, actions));
        actions.append(btn);
      }
      for (const l of links) {
        const a = document.createElement('a');
        a.className = 'link';
        a.href = l.url;
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        a.textContent = l.title;
        actions.append(a);
      }
      li.append(actions);
    }
    const meta = document.createElement('div');
    meta.className = 'meta';
    let line = time(m.at);
    if (m.from === 'customer') line += m.status === 'delivered' ? ' ✓' : m.status === 'failed' ? ` · not delivered: ${m.error ?? ''}` : ' …';
    meta.textContent = line;
    li.append(meta);
    return li;
  }

  function show(m) {
    if (m.channel !== state.type || m.customer !== state.customer) return;
    state.since = Math.max(state.since, m.seq, m.updated ?? 0);
    const li = render(m);
    const old = state.items.get(m.seq);
    state.items.set(m.seq, li);
    if (old) {
      old.replaceWith(li);
      return;
    }
    let before = null; // keep the list in sequence order
    for (let n = ui.list.lastElementChild; n && Number(n.dataset.seq) > m.seq; n = n.previousElementSibling) before = n;
    ui.list.insertBefore(li, before);
    if (!before) ui.list.scrollTop = ui.list.scrollHeight;
    if (m.from === 'business') scheduleRead();
  }

  // Read receipts while the page is visible (WhatsApp's blue ticks, Messenger's "seen").
  let readTimer = null;
  function scheduleRead() {
    if (document.visibilityState !== 'visible' || readTimer) return;
    readTimer = setTimeout(async () => {
      readTimer = null;
      try {
        await api('POST', '/__sim/phone/read', { channel: state.type, customer: state.customer });
      } catch {
        /* the next message or visit tries again */
      }
    }, 300);
  }
  document.addEventListener('visibilitychange', scheduleRead);

  async function deliver(body) {
    const r = await api('POST', '/__sim/phone/send', { channel: state.type, customer: state.customer, name: state.name, ...body });
    show(r.message);
    if (r.message.status === 'failed') setStatus(`Bottega refused the webhook: ${r.message.error}`);
  }

  async function tap(m, b, actions) {
    const all = [...actions.querySelectorAll('button')];
    all.forEach((x) => (x.disabled = true));
    try {
      await deliver({ reply: { id: b.id, title: b.title, kind: b.kind, description: b.description, message: m.seq } });
    } catch (e) {
      setStatus(`Could not send: ${e.message}`);
    } finally {
      all.forEach((x) => (x.disabled = false));
    }
  }

  ui.form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = ui.text.value;
    if (!text.trim()) return;
    ui.send.disabled = true;
    try {
      await deliver({ text });
      ui.text.value = '';
    } catch (e) {
      setStatus(`Could not send: ${e.message}`);
    } finally {
      ui.send.disabled = false;
      ui.text.focus();
    }
  });

  // A photo from this computer; the typed message (if any) goes with it as its caption, except on
  // Messenger, whose photos have none.
  ui.photo.addEventListener('click', () => ui.photoFile.click());
  ui.photoFile.addEventListener('change', async () => {
    const file = ui.photoFile.files?.[0];
    ui.photoFile.value = '';
    if (!file) return;
    if (file.size > 5 * 1024 * 1024) {
      setStatus('The photo must be at most 5 MB.');
      return;
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    const caption = photoCaption(state.type) ? ui.text.value.trim() : '';
    ui.photo.disabled = true;
    try {
      await deliver({ image: { content_base64: btoa(bin), mime_type: file.type }, ...(caption ? { text: caption } : {}) });
      if (caption) ui.text.value = '';
    } catch (e) {
      setStatus(`Could not send the photo: ${e.message}`);
    } finally {
      ui.photo.disabled = false;
    }
  });

  ui.channel.addEventListener('change', () => selectChannel(ui.channel.value));
  ui.customer.addEventListener('change', () => {
    const v = ui.customer.value.trim();
    if (!validCustomer(state.type, v)) {
      setStatus(idRule(state.type)[1]);
      ui.customer.value = state.customer;
      return;
    }
    state.customer = v;
    saveIdentity();
    restart();
  });
  ui.name.addEventListener('change', () => {
    state.name = ui.name.value.trim().slice(0, 60) || 'Demo Customer';
    saveIdentity();
  });
  ui.fresh.addEventListener('click', () => {
    state.customer = randomCustomer(state.type);
    ui.customer.value = state.customer;
    saveIdentity();
    restart();
  });

  (async () => {
    fillChannels(await loadChannels());
    setStatus('');
    const wanted = new URLSearchParams(location.search).get('channel');
    const types = state.channels.map((c) => c.type);
    selectChannel(types.includes(wanted) ? wanted : types.includes(store.get('channel')) ? store.get('channel') : types[0]);
    ui.channel.addEventListener('change', () => store.set('channel', ui.channel.value));
  })();
})();
