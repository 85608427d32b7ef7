import { expect } from 'chai';
import { EmulatorConfigError, loadEmulatorConfig } from '../../src/emulator/config.js';

describe('loadEmulatorConfig', () => {
  it('defaults to port 4010, the dev keys and no latency', () => {
    expect(loadEmulatorConfig({})).to.deep.equal({
      port: 4010,
      apiKey: 'dev-onetalk-api-key',
      latencyMs: 0,
      usesDevKey: true,
      widgetKey: 'dev-onetalk-widget-key',
    });
  });

  it('reads PORT, ONETALK_API_KEY and LATENCY_MS, and freezes the result', () => {
    const config = loadEmulatorConfig({ PORT: '5000', ONETALK_API_KEY: 'sk-secret', LATENCY_MS: '250', ONETALK_WIDGET_KEY: 'wk-public' });
    expect(config).to.deep.equal({ port: 5000, apiKey: 'sk-secret', latencyMs: 250, usesDevKey: false, widgetKey: 'wk-public' });
    expect(Object.isFrozen(config)).to.equal(true);
  });

  it('treats empty variables as unset', () => {
    expect(loadEmulatorConfig({ PORT: '', ONETALK_API_KEY: '', LATENCY_MS: '' })).to.include({ port: 4010, latencyMs: 0 });
  });

  it('names every invalid variable in one error, without echoing the key', () => {
    let caught: unknown;
    try {
      loadEmulatorConfig({ PORT: '70000', LATENCY_MS: 'fast', ONETALK_API_KEY: 'sk secret' });
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(EmulatorConfigError);
    const problems = (caught as EmulatorConfigError).problems;
    expect(problems).to.deep.equal([
      'PORT must be an integer from 0 to 65535 (got "70000")',
      'LATENCY_MS must be an integer from 0 to 60000 (got "fast")',
      'ONETALK_API_KEY must not contain whitespace or control characters',
    ]);
    expect((caught as Error).message).to.not.include('sk secret');
  });

  it('refuses a widget key with spaces, or one equal to the API key (the widget key is public)', () => {
    expect(() => loadEmulatorConfig({ ONETALK_WIDGET_KEY: 'wk public' })).to.throw(EmulatorConfigError, 'ONETALK_WIDGET_KEY must be visible ASCII');
    let caught: unknown;
    try {
      loadEmulatorConfig({ ONETALK_API_KEY: 'sk-same-secret', ONETALK_WIDGET_KEY: 'sk-same-secret' });
    } catch (error) {
      caught = error;
    }
    expect((caught as EmulatorConfigError).problems).to.deep.equal(['ONETALK_WIDGET_KEY must differ from ONETALK_API_KEY (the widget key is public)']);
    expect((caught as Error).message).to.not.include('sk-same-secret');
  });

  for (const [name, value] of [['PORT', '-1'], ['PORT', '3.5'], ['PORT', '0x10'], ['LATENCY_MS', '60001'], ['LATENCY_MS', '1e3']]) {
    it(`rejects ${name}=${value}`, () => {
      expect(() => loadEmulatorConfig({ [name as string]: value })).to.throw(EmulatorConfigError, `${name} must be an integer`);
    });
  }
});
