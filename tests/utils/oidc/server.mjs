// A real OpenID Connect provider on loopback for Copydesk's tests (node's oidc-provider, its
// development login form: any login name signs in as <name>@example.com).
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const provider = new Provider(`http://localhost:${port}`, {
  clients: [{
    client_id: 'copydesk', client_secret: 'copydesk-test-secret',
    redirect_uris: [process.env.REDIRECT_URI], response_types: ['code'], grant_types: ['authorization_code'],
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: id, email: `${id}@example.com`, email_verified: true, name: id }; } };
  },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => false },
  conformIdTokenClaims: false, // the ID token carries the e-mail (Streamlit reads the ID token)
  cookies: { keys: ['copydesk-test-cookie-key'] },
});
provider.listen(port, '127.0.0.1', () => console.log(`oidc ready on ${port}`));
