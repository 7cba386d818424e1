// A fake LLM for the engine tests: a real LlamaIndex `BaseLLM` that records every prompt it is
// sent and answers with a fixed text, so tests can check what the engines put in front of a model.
import { BaseLLM, extractText } from "llamaindex";
import type { ChatMessage, ChatResponse, ChatResponseChunk, LLMChatParamsNonStreaming, LLMChatParamsStreaming, LLMMetadata } from "llamaindex";

export class RecordingLLM extends BaseLLM {
  /** Every chat call's messages, in call order. */
  readonly calls: ChatMessage[][] = [];
  metadata: LLMMetadata = {
    model: "recording-llm",
    temperature: 0,
    topP: 1,
    contextWindow: 16_384,
    tokenizer: undefined,
    structuredOutput: false,
  };

  constructor(readonly answer = "recorded answer") {
    super();
  }

  /** The text of every message of call `i`, joined. */
  prompt(i: number): string {
    return (this.calls[i] ?? []).map((m) => `${m.role}: ${extractText(m.content)}`).join("\n");
  }

  chat(params: LLMChatParamsStreaming): Promise<AsyncIterable<ChatResponseChunk>>;
  chat(params: LLMChatParamsNonStreaming): Promise<ChatResponse>;
  async chat(params: LLMChatParamsStreaming | LLMChatParamsNonStreaming): Promise<ChatResponse | AsyncIterable<ChatResponseChunk>> {
    this.calls.push(params.messages.map((m) => ({ ...m })));
    if (params.stream) {
      const answer = this.answer;
      return (async function* () {
        yield { raw: null, delta: answer };
      })();
    }
    return { message: { role: "assistant", content: this.answer }, raw: null };
  }
}
