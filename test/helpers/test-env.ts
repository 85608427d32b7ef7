/**
 * The test suites' secrets and the gateway environment that goes with them. No imports: a
 * process-level helper can use it without loading the app.
 */
export const TEST_API_KEY = 'sk-test-NEVER-LEAK-0123456789abcdef';
export const TEST_CLIENT_SECRET = 'client-secret-NEVER-LEAK-9876543210';
export const TEST_SESSION_SECRET = 'session-secret-NEVER-LEAK-0123456789abcdef';

/** The variables every gateway under test needs: its URL, the IdP's issuer and OneTalk's URL. */
export function gatewayEnv(publicUrl: string, issuer: string, onetalkUrl: string): Record<string, string> {
  return {
    PUBLIC_URL: publicUrl,
    SESSION_SECRET: TEST_SESSION_SECRET,
    OIDC_ISSUER_URL: issuer,
    OIDC_CLIENT_ID: 'gateway',
    OIDC_CLIENT_SECRET: TEST_CLIENT_SECRET,
    ONETALK_API_KEY: TEST_API_KEY,
    ONETALK_BASE_URL: onetalkUrl,
  };
}
