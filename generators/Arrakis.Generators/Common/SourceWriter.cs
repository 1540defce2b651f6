using System;
using System.Text;

namespace Arrakis.Generators.Common
{
    /// <summary>Writes C# source line by line with four-space indentation.</summary>
    internal sealed class SourceWriter
    {
        private readonly StringBuilder _text = new StringBuilder();
        private int _indent;

        public SourceWriter Line(string line = "")
        {
            if (line.Length > 0) _text.Append(' ', _indent * 4).Append(line);
            _text.Append('\n');
            return this;
        }

        public SourceWriter Open(string line)
        {
            Line(line);
            Line("{");
            _indent++;
            return this;
        }

        public SourceWriter Close(string suffix = "")
        {
            _indent--;
            return Line("}" + suffix);
        }

        public SourceWriter Indent()
        {
            _indent++;
            return this;
        }

        public SourceWriter Outdent()
        {
            _indent = Math.Max(0, _indent - 1);
            return this;
        }

        public override string ToString() => _text.ToString();
    }
}
