// Node.js's `http` and Bun's `Bun.serve` sides of scripts/bench-http.sh.
const port = Number(process.argv[2]);
const body = "Hello, world!";
const type = { "Content-Type": "text/html; charset=utf-8" };
if (typeof Bun !== "undefined") {
  Bun.serve({ port, hostname: "127.0.0.1", fetch: () => new Response(body, { headers: type }) });
} else {
  require("http")
    .createServer((req, res) => {
      res.writeHead(200, type);
      res.end(body);
    })
    .listen(port, "127.0.0.1");
}
