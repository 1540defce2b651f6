// Run by the installed arrakis tool (docs/using-arrakis.md, workflow 3).
var tokens = torch.tensor(new long[] { 0, 5, 6, 7, 5, 6 }, dtype: torch.int64).unsqueeze(0);
var logits = Model.Forward(tokens);
Console.WriteLine($"layers {Model.Cfg.NLayers}, logits [{string.Join(", ", logits.shape)}]");
logits.Dispose();
tokens.Dispose();
