// The Worker's entry: syumai/workers' worker.mjs (the Go handler, built
// into build/ by build.sh), with the trace schema's validator made
// available to Go as globalThis.raftlabCheckTrace(text) → "" if the text
// is a trace by docs/trace.schema.json, else what is wrong.
import validate from './build/trace-validator.mjs';
import worker from './build/worker.mjs';

globalThis.raftlabCheckTrace = (text) => {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return `not JSON: ${e.message}`;
  }
  if (validate(doc)) return '';
  return (validate.errors || []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ') || 'invalid';
};

export default worker;
