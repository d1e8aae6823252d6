import { createReadStream } from 'node:fs';

export interface CsvProblem {
  line: number;
  message: string;
}

/**
 * Finds the first structural problem in a CSV file (RFC 4180, comma-delimited, double quotes):
 * invalid UTF-8, a record whose field count differs from the header's, or a quote left open.
 * DuckDB's sniffer rejects such files without saying where; this streams the file once, in
 * constant memory, to name the line.
 */
export async function diagnoseCsv(path: string): Promise<CsvProblem | null> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let recordLine = 1;
  let fields = 1;
  let expected: number | null = null;
  let inQuotes = false;
  let quoteOpenedAt = 0;
  let afterQuote = false;
  let fieldHasContent = false;

  const endRecord = (): CsvProblem | null => {
    if (expected === null) expected = fields;
    else if (fields !== expected && !(fields === 1 && !fieldHasContent)) {
      return {
        line: recordLine,
        message: `line ${recordLine} has ${fields} fields but the header has ${expected}`,
      };
    }
    fields = 1;
    fieldHasContent = false;
    return null;
  };

  for await (const chunk of createReadStream(path)) {
    let text: string;
    try {
      text = decoder.decode(chunk as Buffer, { stream: true });
    } catch {
      return { line, message: `line ${line} is not valid UTF-8` };
    }
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (inQuotes) {
        if (ch === '"') {
          if (text[i + 1] === '"') i++;
          else {
            inQuotes = false;
            afterQuote = true;
          }
        } else if (ch === '\n') line++;
        continue;
      }
      if (ch === '"') {
        if (fieldHasContent && !afterQuote) {
          return { line, message: `line ${line} has a quote inside an unquoted field` };
        }
        inQuotes = true;
        quoteOpenedAt = line;
        fieldHasContent = true;
      } else if (ch === ',') {
        fields++;
        fieldHasContent = false;
        afterQuote = false;
      } else if (ch === '\n') {
        const problem = endRecord();
        if (problem) return problem;
        line++;
        recordLine = line;
        afterQuote = false;
      } else if (ch !== '\r') {
        if (afterQuote) return { line, message: `line ${line} has text after a closing quote` };
        fieldHasContent = true;
      }
    }
  }
  try {
    decoder.decode();
  } catch {
    return { line, message: `line ${line} ends in an incomplete UTF-8 sequence` };
  }
  if (inQuotes)
    return { line: quoteOpenedAt, message: `the quote opened on line ${quoteOpenedAt} is never closed` };
  if (fieldHasContent || fields > 1) return endRecord();
  return null;
}
