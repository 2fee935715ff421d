/**
 * V8's sampling CPU profiler around a piece of work, through the inspector of this process
 * (no `--cpu-prof` flag needed), for both benchmarks' `--profile`.
 *
 * @module
 */
import { Session } from 'node:inspector';

/**
 * Runs `work` with the profiler sampling every 100 us; returns its result and the profile
 * (the `.cpuprofile` JSON object).
 */
export async function sampleCpu<T>(work: () => T | Promise<T>): Promise<{ result: T; profile: unknown }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object): Promise<unknown> => new Promise((res, rej) => {
    session.post(method, params ?? {}, (err, r) => (err ? rej(err) : res(r)));
  });
  try {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 100 });
    await post('Profiler.start');
    const result = await work();
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    return { result, profile };
  } finally {
    session.disconnect();
  }
}
