import type { InferenceEvent, ListEvents, Page } from '@plumb/sdk';
import type { z } from 'zod';
import type { RequestContext } from '../../core/context.js';
import type { FeedbackListener } from '../events/events.service.js';

/** What performance takes from the inference log: its pages in commit order, and word of feedback. */
export interface PerformanceEvents {
  list(ctx: RequestContext, query: z.output<typeof ListEvents>): Promise<Page<InferenceEvent>>;
  onFeedback(listener: FeedbackListener): void;
}

/** Every project's id, for the scheduled fold. */
export interface ProjectDirectory {
  projectIds(): Promise<string[]>;
}
