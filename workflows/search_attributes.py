"""The search attributes every run carries, so the Temporal UI and
`temporal workflow list --query` filter runs by thread, assistant and graph.
("RunId" is Temporal's own name for an execution, hence the prefix.)"""

from temporalio.common import SearchAttributeKey

RUN_ID = SearchAttributeKey.for_keyword("LangGraphRunId")
THREAD_ID = SearchAttributeKey.for_keyword("LangGraphThreadId")
ASSISTANT_ID = SearchAttributeKey.for_keyword("LangGraphAssistantId")
GRAPH_ID = SearchAttributeKey.for_keyword("LangGraphGraphId")
SEARCH_ATTRIBUTES = (RUN_ID, THREAD_ID, ASSISTANT_ID, GRAPH_ID)
