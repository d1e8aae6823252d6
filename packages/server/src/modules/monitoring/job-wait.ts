// The helper is shared by modules that hand request work to the job worker; it lives with the queue.
export { enqueueAndWait } from '../../storage/queue/job-wait.js';
