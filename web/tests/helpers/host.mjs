// A shop's own page on another origin, for embedding the widget: `render(url)` gives the HTML.
import { createServer } from 'node:http';

export async function serveHostPage(render) {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(render(req.url));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => server.close(r)),
  };
}
