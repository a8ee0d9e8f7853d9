// Runs s3rver in its own process: it must start with NODE_OPTIONS=--openssl-legacy-provider
// (paged listings fail without it) and it must not share a process with a test that
// kills and restarts it. Prints "READY <port>" once it listens.
import S3rver from 's3rver';

const [directory, portArg, bucket, host = '127.0.0.1'] = process.argv.slice(2);
const cors = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <ExposeHeader>Content-Length</ExposeHeader>
    <ExposeHeader>Content-Range</ExposeHeader>
    <ExposeHeader>Accept-Ranges</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

const server = new S3rver({
  address: host,
  port: Number(portArg),
  directory,
  silent: true,
  configureBuckets: bucket ? [{ name: bucket, configs: [cors] }] : [],
});
const address = await server.run();
process.stdout.write(`READY ${address.port}\n`);
const shutdown = () => server.close().then(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
