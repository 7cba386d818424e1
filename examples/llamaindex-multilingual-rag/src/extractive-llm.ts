/**
 * The offline fallback LLM: a LlamaIndex `BaseLLM` that answers by quoting the first (best) source
 * in the context the engine put into its prompt. It understands the default prompts of
 * `RetrieverQueryEngine` (compact synthesizer) and `ContextChatEngine`, both of which frame the
 * context between lines of dashes, sources best first and separated by blank lines.
 */
import { BaseLLM, extractText } from "llamaindex";
import type { ChatMessage, ChatResponse, ChatResponseChunk, LLMChatParamsNonStreaming, LLMChatParamsStreaming, LLMMetadata } from "llamaindex";

const RULE = /^-{5,}$/m;

/** The first source of the last context block in `messages`, without its metadata lines. */
export function bestSource(messages: ChatMessage[]): string | undefined {
  for (const message of [...messages].reverse()) {
    const parts = extractText(message.content).split(RULE);
    if (parts.length < 3) continue;
    const context = parts[1]!.trim();
    const first = context.split(/\n\s*\n/).find((chunk) => !/^[\w-]+: [^\n]*$/.test(chunk.trim()));
    return first?.trim();
  }
  return undefined;
}

export class ExtractiveLLM extends BaseLLM {
  metadata: LLMMetadata = {
    model: "extractive-fallback",
    temperature: 0,
    topP: 1,
    contextWindow: 32_768,
    tokenizer: undefined,
    structuredOutput: false,
  };

  chat(params: LLMChatParamsStreaming): Promise<AsyncIterable<ChatResponseChunk>>;
  chat(params: LLMChatParamsNonStreaming): Promise<ChatResponse>;
  async chat(params: LLMChatParamsStreaming | LLMChatParamsNonStreaming): Promise<ChatResponse | AsyncIterable<ChatResponseChunk>> {
    const source = bestSource(params.messages);
    const answer = source === undefined ? "I found no source for this." : `The best source says: "${source}"`;
    if (params.stream) {
      return (async function* () {
        yield { raw: null, delta: answer };
      })();
    }
    return { message: { role: "assistant", content: answer }, raw: null };
  }
}
