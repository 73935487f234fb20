// The Atlas's t-SNE runs here, off the page's thread (and off the GPU worker, which may be training).
import * as Comlink from 'comlink';
import { runTsne, type TsneRequest, type TsneResult } from './tsne-core';

export interface TsneWorkerApi {
  /** lay out the points; `onFrame` (a Comlink.proxy) sees intermediate layouts so the plot can animate */
  embed(req: TsneRequest, onFrame?: (points: [number, number][], iteration: number) => void): Promise<TsneResult>;
}

const api: TsneWorkerApi = {
  async embed(req, onFrame) {
    let last = 0;
    return runTsne(req, (points, i) => {
      // a frame at most every 60 ms: enough to look like motion, few enough not to flood the page
      const now = performance.now();
      if (!onFrame || now - last < 60) return;
      last = now;
      try {
        void onFrame(points, i);
      } catch {
        // the page went away
      }
    });
  },
};

Comlink.expose(api);
