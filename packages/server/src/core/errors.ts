// Plumb's one error type lives in the wire contract so that server and client share it.
export { type ErrorCode, PlumbError } from '@plumb/sdk';
