// What the test page imports: the SDK's client, as a browser app would.
export { Client } from "@langchain/langgraph-sdk";
