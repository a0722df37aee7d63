// The official ConnectyCube JS SDK (connectycube@6.1.2), unchanged, against `cube serve`.
//
// Usage: CUBE_API_URL=http://127.0.0.1:8080 CUBE_WS_URL=ws://127.0.0.1:5291 \
//        CUBE_APP_ID=1 CUBE_AUTH_KEY=... CUBE_CHAT_DOMAIN=localhost node smoke.js
//
// Prints one line per step and, last, a JSON summary; exits 0 only when every step did what it
// should. Used by cube-server's integration tests (tests/it/js_sdk.rs) and runnable by hand.
'use strict';
const CB = require('connectycube').default;

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`missing environment variable ${k}`);
  return v;
};
const API = env('CUBE_API_URL');
const WS = env('CUBE_WS_URL');
const APP_ID = Number(env('CUBE_APP_ID'));
const AUTH_KEY = env('CUBE_AUTH_KEY');
const DOMAIN = env('CUBE_CHAT_DOMAIN');
const suffix = process.env.CUBE_JS_SUFFIX || String(Date.now() % 100000);

const steps = [];
function step(name, detail) {
  steps.push(name);
  console.log(`ok   ${name}${detail ? ': ' + detail : ''}`);
}
function fail(msg) {
  console.log(`FAIL ${msg}`);
  process.exit(1);
}
const timer = setTimeout(() => fail(`timed out after ${steps.length} steps (last: ${steps[steps.length - 1]})`), 30000);

function sdk() {
  const cc = new CB.ConnectyCube();
  cc.init(
    { appId: APP_ID, authKey: AUTH_KEY },
    { endpoints: { api_url: API, chat: DOMAIN, chat_url: WS }, debug: { mode: 0 } },
  );
  return cc;
}

function waitFor(what, register) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${what} within 10 s`)), 10000);
    register((v) => { clearTimeout(t); resolve(v); });
  });
}

async function user(cc, login, password, fullName) {
  await cc.createSession();
  const signed = await cc.users.signup({ login, password, full_name: fullName, tag_list: ['js', 'sdk'] });
  const u = signed.user || signed;
  if (!u.id || u.login !== login) fail(`signup returned ${JSON.stringify(signed)}`);
  const session = await cc.createSession({ login, password });
  if (session.user_id !== u.id) fail(`user session for ${login} has user_id ${session.user_id}`);
  return { id: u.id, login, password, session };
}

(async () => {
  const a = sdk();
  const b = sdk();
  const alice = await user(a, `alice_js_${suffix}`, 'alicePass1', 'Alice JS');
  const bob = await user(b, `bob_js_${suffix}`, 'bobPass123', 'Bob JS');
  step('sessions and sign-up', `alice=${alice.id} bob=${bob.id}`);

  const group = await a.chat.dialog.create({ type: 2, name: 'JS group', occupants_ids: [bob.id] });
  if (!group._id || !group.occupants_ids.includes(bob.id) || !group.xmpp_room_jid) fail(`group dialog ${JSON.stringify(group)}`);
  const priv = await a.chat.dialog.create({ type: 3, occupants_ids: [bob.id] });
  if (!priv._id || priv.type !== 3) fail(`private dialog ${JSON.stringify(priv)}`);
  step('dialogs created', `group=${group._id} private=${priv._id}`);

  await a.chat.connect({ userId: alice.id, password: alice.password });
  await b.chat.connect({ userId: bob.id, password: bob.password });
  step('both connected over WebSocket');

  const received = [];
  const gotTwo = waitFor('two messages at bob', (done) => {
    b.chat.onMessageListener = (userId, msg) => {
      received.push({ userId, msg });
      if (received.length === 2) done();
    };
  });
  const privateId = a.chat.send(bob.id, {
    type: 'chat',
    body: 'hello <bob> & co',
    extension: { save_to_history: 1, dialog_id: priv._id, customParam: 'v1' },
  });
  const groupId = a.chat.send(group._id, {
    type: 'groupchat',
    body: 'hello group',
    extension: { save_to_history: 1, customParam: 'v2' },
  });
  await gotTwo;
  const p = received.find((r) => r.msg.id === privateId);
  const g = received.find((r) => r.msg.id === groupId);
  if (!p || p.userId !== alice.id || p.msg.body !== 'hello <bob> & co' || p.msg.extension.customParam !== 'v1') {
    fail(`1:1 message as received: ${JSON.stringify(received)}`);
  }
  if (!g || g.userId !== alice.id || g.msg.dialog_id !== group._id || g.msg.extension.customParam !== 'v2') {
    fail(`group message as received: ${JSON.stringify(received)}`);
  }
  step('1:1 and group messages received with their extraParams');

  const read = waitFor('read marker at alice', (done) => {
    a.chat.onReadStatusListener = (messageId, dialogId, userId) => done({ messageId, dialogId, userId });
  });
  b.chat.sendReadStatus({ messageId: privateId, dialogId: priv._id, userId: alice.id });
  const r = await read;
  if (r.messageId !== privateId || r.userId !== bob.id) fail(`read marker ${JSON.stringify(r)}`);
  step('read marker delivered');

  const history = await b.chat.message.list({ chat_dialog_id: group._id, sort_desc: 'date_sent', limit: 10 });
  const stored = history.items.find((m) => m._id === groupId);
  if (!stored || stored.message !== 'hello group' || stored.sender_id !== alice.id) {
    fail(`group history ${JSON.stringify(history)}`);
  }
  const privHistory = await b.chat.message.list({ chat_dialog_id: priv._id, limit: 10 });
  if (!privHistory.items.some((m) => m._id === privateId)) fail(`private history ${JSON.stringify(privHistory)}`);
  step('history over REST', `${history.items.length} group message(s)`);

  await a.chat.disconnect();
  await b.chat.disconnect();
  clearTimeout(timer);
  console.log(JSON.stringify({ ok: true, steps }));
  process.exit(0);
})().catch((e) => fail(e && e.stack ? e.stack : JSON.stringify(e)));
