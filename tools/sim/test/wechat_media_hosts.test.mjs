// WeChat media through the real bottega binary against a WeChat API that points elsewhere: the
// channel's api_base_url is a small server in this test playing a misbehaving (or compromised)
// WeChat, whose media/get answers a video's {"video_url"} on the metadata address, on Bottega's
// own API, on a look-alike host, or redirects to the metadata address. Bottega refuses each before
// connecting (media_host_not_allowed, recorded on the attachment) and fetches only a video_url on
// WeChat's API origin itself.
//
//   node --test tools/sim/test/wechat_media_hosts.test.mjs

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import * as P from '../payloads.mjs';
import { attachmentSettles, conversationOf, createChannel, deliver, env, fetchMedia, rand, useServers } from './harness.mjs';

useServers();

const MP4 = Buffer.from(`\0\0\0\x18ftypmp42 hostile-test ${rand(4)}`);

describe('wechat media/get pointing elsewhere', () => {
  let fake;
  let origin;
  const calls = [];

  before(async () => {
    fake = http.createServer((req, res) => {
      const u = new URL(req.url, 'http://fake.local');
      calls.push(u.pathname + (u.searchParams.get('media_id') ? `?media_id=${u.searchParams.get('media_id')}` : ''));
      const json = (o) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(o));
      };
      if (u.pathname === '/wechat/cgi-bin/token') return json({ access_token: `12_${rand(8)}`, expires_in: 7200 });
      if (u.pathname === '/wechat/video.mp4') {
        res.writeHead(200, { 'content-type': 'video/mp4' });
        return res.end(MP4);
      }
      if (u.pathname !== '/wechat/cgi-bin/media/get') {
        res.writeHead(404);
        return res.end();
      }
      const to = {
        meta: 'http://169.254.169.254/latest/meta-data/',
        metas: 'https://169.254.169.254/latest/meta-data/',
        own: `${env.base}/api/v1/conversations`, // Bottega's own API: the same host, another port
        lookalike: 'https://mpvideo.weixin.qq.com.evil.example/1.mp4',
        plain: 'http://mpvideo.weixin.qq.com/1.mp4', // WeChat's host, but not https
        fine: `${origin}/wechat/video.mp4`,
      }[u.searchParams.get('media_id')];
      if (u.searchParams.get('media_id') === 'redirect') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
        return res.end();
      }
      return json(to ? { video_url: to } : { errcode: 40007, errmsg: 'invalid media_id' });
    });
    await new Promise((r) => fake.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${fake.address().port}`;
  });

  after(() => new Promise((r) => fake.close(r)));

  test('a video_url (or redirect) to the metadata address, Bottega itself or a look-alike host is refused unfetched; one on the API origin is fetched', async () => {
    const settings = { app_id: `wx${rand(8)}`, app_secret: rand(16), token: `tok${rand(6)}`, api_base_url: `${origin}/wechat` };
    const ch = await createChannel('wechat', settings);
    const videoFrom = async (mediaId) => {
      const openid = `oHost${rand(8)}`;
      const video = { ...P.wechatImage(openid, { mediaId }), MsgType: 'video', ThumbMediaId: 'thumb1' };
      delete video.PicUrl;
      const d = await deliver({ provider: 'wechat', url: ch.webhook_url, token: settings.token, payload: video });
      assert.equal(d.status, 200, d.body);
      const conv = await conversationOf(ch.id, openid);
      return attachmentSettles(conv.id);
    };
    for (const id of ['meta', 'metas', 'own', 'lookalike', 'plain', 'redirect']) {
      const a = await videoFrom(id);
      assert.equal(a.media_id, undefined, id);
      assert.match(a.media_error ?? '', /^media_host_not_allowed/, `${id}: ${JSON.stringify(a)}`);
    }
    const ok = await videoFrom('fine');
    assert.ok(ok.media_id, JSON.stringify(ok));
    assert.deepEqual((await fetchMedia(ok.media_id)).bytes, MP4);
    // The fake saw media/get for each and the one allowed download; nothing else was asked of it.
    assert.deepEqual(calls.filter((c) => !c.startsWith('/wechat/cgi-bin/token')).sort(),
      ['meta', 'metas', 'own', 'lookalike', 'plain', 'redirect', 'fine'].map((id) => `/wechat/cgi-bin/media/get?media_id=${id}`).concat(['/wechat/video.mp4']).sort());
  });
});
