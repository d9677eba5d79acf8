// The reference Bluesky PDS (and a PLC directory) on loopback for Copydesk's publishing tests.
// Started by tests/utils/atproto_pds.py with the Node 22 that install.sh brings. It creates one
// account and one app password, prints ONE JSON line
//   {"url", "plc", "handle", "did", "password", "app_password"}
// and serves until its standard input closes or it gets SIGTERM/SIGINT.
// TestNetworkNoAppView: the full TestNetwork (with the Bluesky AppView) needs PostgreSQL and Redis.
import { TestNetworkNoAppView } from '@atproto/dev-env'

const network = await TestNetworkNoAppView.create({})
const agent = network.pds.getAgent()
const handle = 'copydesk.test'
const password = 'copydesk-test-password'
await agent.createAccount({ email: 'copydesk@example.test', handle, password })
const appPassword = await agent.com.atproto.server.createAppPassword({ name: 'copydesk-tests' })

let closing = false
async function stop () {
  if (closing) return
  closing = true
  try { await network.close() } finally { process.exit(0) }
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.stdin.on('end', stop)
process.stdin.on('close', stop)
process.stdin.resume()

process.stdout.write(JSON.stringify({
  url: network.pds.url,
  plc: network.plc.url,
  handle,
  did: agent.session.did,
  password,
  app_password: appPassword.data.password
}) + '\n')
